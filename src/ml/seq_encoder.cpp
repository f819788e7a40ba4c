// The only translation unit of gpuopt::ml that includes torch (each costs ~30 s to compile).
#include "ml/seq_encoder.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "gpuopt/error.hpp"

namespace gpuopt::ml {
namespace {

namespace rnn = torch::nn::utils::rnn;

constexpr std::array<std::pair<SeqArch, std::string_view>, 4> kArchNames = {{
    {SeqArch::gru, "gru"},
    {SeqArch::bigru, "bigru"},
    {SeqArch::transformer, "transformer"},
    {SeqArch::bigru_transformer, "bigru-transformer"},
}};

bool has_gru(SeqArch arch) { return arch != SeqArch::transformer; }
bool is_bidirectional(SeqArch arch) { return arch == SeqArch::bigru || arch == SeqArch::bigru_transformer; }
bool has_transformer(SeqArch arch) {
  return arch == SeqArch::transformer || arch == SeqArch::bigru_transformer;
}

void check_options(const SeqEncoderOptions& o) {
  const auto fail = [&](const std::string& reason) {
    throw UsageError(fmt::format("sequence model {}: {}", seq_arch_name(o.arch), reason));
  };
  if (o.input_dim <= 0) fail("input dimension must be positive");
  if (o.d_model <= 0) fail("model width must be positive");
  if (!(o.dropout >= 0 && o.dropout < 1)) fail(fmt::format("dropout {} is outside [0, 1)", o.dropout));
  if (!has_transformer(o.arch)) return;
  if (o.transformer_layers <= 0 || o.heads <= 0 || o.ff_dim <= 0) {
    fail("transformer layers, heads and feed-forward width must be positive");
  }
  if (o.d_model % o.heads != 0)
    fail(fmt::format("model width {} is not a multiple of {} heads", o.d_model, o.heads));
}

// The fixed sinusoidal positions of Vaswani et al. (2017), [seq, 1, d_model].
torch::Tensor sinusoidal_positions(std::int64_t seq, std::int64_t d_model,
                                   const torch::TensorOptions& options) {
  const auto position = torch::arange(seq, options).unsqueeze(1);
  const auto frequency =
      torch::exp(torch::arange(0, d_model, 2, options) * (-std::log(10000.0) / static_cast<double>(d_model)));
  auto positions = torch::zeros({seq, d_model}, options);
  positions.slice(1, 0, d_model, 2) = torch::sin(position * frequency);
  positions.slice(1, 1, d_model, 2) = torch::cos(position * frequency.slice(0, 0, d_model / 2));
  return positions.unsqueeze(1);
}

// Length of each sequence; the padding must be a (possibly empty) suffix leaving at least one token.
torch::Tensor sequence_lengths(const torch::Tensor& padding) {
  const std::int64_t seq = padding.size(1);
  auto lengths = padding.logical_not().sum(1);
  const auto suffix = torch::arange(seq, lengths.options()).unsqueeze(0) >= lengths.unsqueeze(1);
  if (!torch::equal(suffix, padding)) {
    throw std::invalid_argument("padding must mark a suffix of each sequence");
  }
  if (lengths.min().item<std::int64_t>() < 1) throw std::invalid_argument("a sequence is padding only");
  return lengths;
}

void check_inputs(const torch::Tensor& x, const torch::Tensor& padding, std::int64_t input_dim) {
  if (x.dim() != 3 || x.size(2) != input_dim) {
    throw std::invalid_argument(
        fmt::format("encoder input must be [seq, batch, {}], got {}", input_dim, fmt::join(x.sizes(), "x")));
  }
  if (padding.defined() && (padding.scalar_type() != torch::kBool || padding.dim() != 2 ||
                            padding.size(0) != x.size(1) || padding.size(1) != x.size(0))) {
    throw std::invalid_argument("padding must be a bool tensor [batch, seq]");
  }
}

using TensorShapes = std::vector<std::pair<std::string, std::vector<std::int64_t>>>;

TensorShapes tensor_shapes(const torch::nn::Module& module) {
  TensorShapes shapes;
  for (const auto& item : module.named_parameters())
    shapes.emplace_back(item.key(), item.value().sizes().vec());
  for (const auto& item : module.named_buffers()) shapes.emplace_back(item.key(), item.value().sizes().vec());
  return shapes;
}

void load_archive(torch::nn::Module& module, const std::string& bytes) {
  std::istringstream in(bytes);
  torch::serialize::InputArchive archive;
  archive.load_from(in);
  module.load(archive);
}

}  // namespace

SeqArch parse_seq_arch(std::string_view name) {
  const std::string_view bare = name.starts_with("seq:") ? name.substr(4) : name;
  for (const auto& [arch, arch_name] : kArchNames) {
    if (bare == arch_name) return arch;
  }
  std::vector<std::string> valid;
  for (const auto& entry : kArchNames) valid.push_back(fmt::format("seq:{}", entry.second));
  throw UsageError(fmt::format("unknown sequence model '{}' (valid: {})", name, fmt::join(valid, ", ")));
}

std::string seq_arch_name(SeqArch arch) {
  for (const auto& [candidate, name] : kArchNames) {
    if (candidate == arch) return std::string(name);
  }
  throw std::invalid_argument("unknown SeqArch value");
}

SeqEncoderImpl::SeqEncoderImpl(const SeqEncoderOptions& options) : options_(options) {
  check_options(options);
  const std::int64_t d = options.d_model;
  input_proj_ = register_module("input_proj", torch::nn::Linear(options.input_dim, d));
  if (has_gru(options.arch)) {
    const bool bidirectional = is_bidirectional(options.arch);
    gru_ = register_module("gru", torch::nn::GRU(torch::nn::GRUOptions(d, d).bidirectional(bidirectional)));
    if (bidirectional) gru_proj_ = register_module("gru_proj", torch::nn::Linear(2 * d, d));
  }
  if (has_transformer(options.arch)) {
    const auto layer = torch::nn::TransformerEncoderLayerOptions(d, options.heads)
                           .dim_feedforward(options.ff_dim)
                           .dropout(options.dropout);
    transformer_ =
        register_module("transformer", torch::nn::TransformerEncoder(torch::nn::TransformerEncoderOptions(
                                           layer, options.transformer_layers)));
  }
}

torch::Tensor SeqEncoderImpl::forward(const torch::Tensor& x, const torch::Tensor& padding) {
  check_inputs(x, padding, options_.input_dim);
  const torch::Tensor lengths = padding.defined() ? sequence_lengths(padding) : torch::Tensor();
  torch::Tensor h = input_proj_(x);
  if (gru_) {
    if (lengths.defined()) {
      // Packing stops each direction at the sequence's own end, so padding never reaches real tokens.
      const auto packed =
          rnn::pack_padded_sequence(h, lengths, /*batch_first=*/false, /*enforce_sorted=*/false);
      h = std::get<0>(rnn::pad_packed_sequence(std::get<0>(gru_->forward_with_packed_input(packed)),
                                               /*batch_first=*/false, 0.0, x.size(0)));
    } else {
      h = std::get<0>(gru_->forward(h));
    }
    if (gru_proj_) h = gru_proj_(h);
  }
  if (transformer_) {
    h = h + sinusoidal_positions(x.size(0), options_.d_model, h.options());
    h = transformer_->forward(h, /*src_mask=*/torch::Tensor(), padding);
  }
  return h;
}

torch::Tensor masked_mean(const torch::Tensor& h, const torch::Tensor& padding) {
  if (!padding.defined()) return h.mean(0);
  const auto keep = padding.logical_not().t().unsqueeze(-1).to(h.scalar_type());
  return (h * keep).sum(0) / keep.sum(0).clamp_min(1);
}

torch::Tensor masked_max(const torch::Tensor& h, const torch::Tensor& padding) {
  if (!padding.defined()) return std::get<0>(h.max(0));
  const auto masked = h.masked_fill(padding.t().unsqueeze(-1), -std::numeric_limits<float>::infinity());
  return std::get<0>(masked.max(0));
}

torch::Tensor pinball_loss(const torch::Tensor& pred, const torch::Tensor& target, double q) {
  if (!(q > 0 && q < 1)) throw std::invalid_argument(fmt::format("quantile {} is outside (0, 1)", q));
  if (pred.sizes() != target.sizes()) {
    throw std::invalid_argument("pinball loss: pred and target shapes differ");
  }
  const auto diff = target - pred;
  return torch::max(q * diff, (q - 1) * diff).mean();
}

std::string module_to_bytes(torch::nn::Module& module) {
  torch::serialize::OutputArchive archive;
  module.save(archive);
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

void module_from_bytes(torch::nn::Module& module, const std::string& bytes, const std::string& what) {
  const TensorShapes expected = tensor_shapes(module);
  // torch's load replaces tensors whatever their shape: keep a copy to restore on a mismatch.
  const std::string previous = module_to_bytes(module);
  const auto restore_and_fail = [&](const std::string& reason) {
    load_archive(module, previous);
    throw ParseError(what, 0, "", reason);
  };
  try {
    load_archive(module, bytes);
  } catch (const c10::Error& e) {
    const std::string message = e.what_without_backtrace();
    restore_and_fail("not a torch archive of this model: " + message.substr(0, message.find('\n')));
  } catch (const std::exception& e) {  // torch's deserializer throws plain runtime errors too
    const std::string message = e.what();
    restore_and_fail("not a torch archive of this model: " + message.substr(0, message.find('\n')));
  }
  const TensorShapes loaded = tensor_shapes(module);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (loaded[i].second != expected[i].second) {
      restore_and_fail(fmt::format("tensor '{}' is {}, the model needs {}", expected[i].first,
                                   fmt::join(loaded[i].second, "x"), fmt::join(expected[i].second, "x")));
    }
  }
  // A NaN weight answers NaN for every input: refuse it here rather than print "peak nan MiB".
  for (const auto& item : module.named_parameters()) {
    if (!torch::isfinite(item.value()).all().item<bool>())
      restore_and_fail(fmt::format("tensor '{}' holds NaN or infinity (a diverged training?)", item.key()));
  }
}

void configure_torch(int threads, std::uint64_t seed) {
  torch::set_num_threads(std::max(1, threads));
  torch::manual_seed(seed);
}

}  // namespace gpuopt::ml
