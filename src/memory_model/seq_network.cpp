#include "seq_network.hpp"

#include <cmath>

#include <fmt/format.h>

#include "gpuopt/error.hpp"

namespace gpuopt::memory {
namespace {

// The README's priors: the intercept is ~16 B x params + ~1.6 GiB and the slope 0.4-1.1 x the
// layers' outputs, so the retention shares start at kInitialRetention of kMaxRetention.
constexpr double kOverheadMib = 1600;
constexpr double kMaxRetention = 2.0;  // a share above 1: the kind's outputs stand for more (a hidden
                                       // attention map, a fused norm's own output)
constexpr double kInitialRetention = 0.5;
// Raw outputs are squashed to +-kRange (factors e^+-4): enough for every set seen, and stable.
constexpr double kRange = 4.0;
constexpr double kTinyMib = 1e-6;

}  // namespace

nlohmann::json SeqNetOptions::to_json() const {
  return {{"arch", ml::seq_arch_name(encoder.arch)},
          {"input_dim", encoder.input_dim},
          {"d_model", encoder.d_model},
          {"transformer_layers", encoder.transformer_layers},
          {"heads", encoder.heads},
          {"ff_dim", encoder.ff_dim},
          {"dropout", encoder.dropout},
          {"task_features", task_features},
          {"hidden", hidden}};
}

SeqNetOptions SeqNetOptions::from_json(const nlohmann::json& j, const std::string& source) {
  SeqNetOptions o;
  try {
    o.encoder.arch = ml::parse_seq_arch(j.at("arch").get<std::string>());
    o.encoder.input_dim = j.at("input_dim").get<std::int64_t>();
    o.encoder.d_model = j.at("d_model").get<std::int64_t>();
    o.encoder.transformer_layers = j.at("transformer_layers").get<std::int64_t>();
    o.encoder.heads = j.at("heads").get<std::int64_t>();
    o.encoder.ff_dim = j.at("ff_dim").get<std::int64_t>();
    o.encoder.dropout = j.at("dropout").get<double>();
    o.task_features = j.at("task_features").get<std::int64_t>();
    o.hidden = j.at("hidden").get<std::int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw ParseError(source, 0, "network", e.what());
  } catch (const UsageError& e) {
    throw ParseError(source, 0, "network.arch", e.what());
  }
  // Far above what gpuopt trains (d_model 32, 2 layers): a damaged or edited header must not make
  // torch allocate gigabytes before the weights are found not to fit.
  const auto check = [&](const char* field, double value, double low, double high) {
    if (!(value >= low && value <= high))
      throw ParseError(source, 0, fmt::format("network.{}", field),
                       fmt::format("{:g} is outside {:g}..{:g}", value, low, high));
  };
  check("input_dim", static_cast<double>(o.encoder.input_dim), 1, 4096);
  check("d_model", static_cast<double>(o.encoder.d_model), 1, 1024);
  check("transformer_layers", static_cast<double>(o.encoder.transformer_layers), 0, 16);
  check("heads", static_cast<double>(o.encoder.heads), 1, 64);
  check("ff_dim", static_cast<double>(o.encoder.ff_dim), 1, 8192);
  check("dropout", o.encoder.dropout, 0, 0.99);
  check("task_features", static_cast<double>(o.task_features), 0, 4096);
  check("hidden", static_cast<double>(o.hidden), 1, 8192);
  if (o.encoder.d_model % o.encoder.heads != 0)
    throw ParseError(source, 0, "network.heads", "must divide network.d_model");
  return o;
}

SeqMemoryNetImpl::SeqMemoryNetImpl(const SeqNetOptions& options) {
  encoder_ = register_module("encoder", ml::SeqEncoder(options.encoder));
  retention_ = register_module("retention", torch::nn::Linear(options.encoder.d_model, kLayerKindCount));
  const std::int64_t in = 2 * options.encoder.d_model + options.task_features;
  auto last = torch::nn::Linear(options.hidden, kHeadOutputs);
  head_ =
      register_module("head", torch::nn::Sequential(torch::nn::Linear(in, options.hidden), torch::nn::GELU(),
                                                    torch::nn::Linear(options.hidden, options.hidden),
                                                    torch::nn::GELU(), last));
  // Start exactly at the priors: zero raw outputs.
  torch::NoGradGuard no_grad;
  last->weight.zero_();
  last->bias.zero_();
  retention_->weight.mul_(0.1);
  retention_->bias.fill_(std::log(kInitialRetention / (kMaxRetention - kInitialRetention)));
}

SeqMemoryNetImpl::Output SeqMemoryNetImpl::forward(const torch::Tensor& tokens, const torch::Tensor& padding,
                                                   const torch::Tensor& kind_mib,
                                                   const torch::Tensor& row_model,
                                                   const torch::Tensor& row_features) {
  const torch::Tensor h = encoder_->forward(tokens, padding);
  const torch::Tensor share = kMaxRetention * torch::sigmoid(retention_->forward(h));      // [T, M, K]
  const torch::Tensor retained = (share * kind_mib).sum(std::vector<std::int64_t>{0, 2});  // [M]
  const torch::Tensor pooled = torch::cat({ml::masked_mean(h, padding), ml::masked_max(h, padding)}, 1);
  return {head_->forward(torch::cat({pooled.index_select(0, row_model), row_features}, 1)), retained};
}

LogPeak physics_head(const torch::Tensor& raw, const torch::Tensor& retained_mib,
                     const PhysicsTensors& physics) {
  const torch::Tensor z = kRange * torch::tanh(raw / kRange);
  const auto log_of = [](const torch::Tensor& mib) { return torch::log(mib.clamp_min(kTinyMib)); };
  const torch::Tensor log_terms =
      torch::stack({log_of(physics.batch_size * retained_mib) + z.select(1, 0),
                    log_of(physics.largest_output_mib) + std::log(0.5) + z.select(1, 1),
                    std::log(kOverheadMib) + z.select(1, 2), log_of(physics.static_mib) + z.select(1, 3)},
                   1);
  const torch::Tensor peak = torch::logsumexp(log_terms, 1);
  return {peak, peak + torch::nn::functional::softplus(z.select(1, 4))};
}

}  // namespace gpuopt::memory
