// seq:gru, seq:transformer, seq:bigru-transformer -- a shared sequence encoder (src/ml) over the
// multi-resolution window, pooled (last token + mean) and joined with the phase inputs
// (phases.hpp) into a head with one output per channel x horizon: a correction, in window-scale
// units, to the phase forecast (the holding level where no phases are found). Where a channel's
// phases are found, the phase forecast stands: the network's corrections to it did not carry over
// to traces it had not seen. Elsewhere the correction is multiplied by a weight per channel x
// horizon, chosen on traces held out of most of the training (fit). The only forecast file that
// uses libtorch.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>
#include <random>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "ml/seq_encoder.hpp"
#include "models.hpp"
#include "phases.hpp"
#include "seq_tokens.hpp"

namespace gpuopt::forecast {
namespace {

constexpr std::int64_t kBatch = 64;
constexpr double kLearningRate = 2e-3;
constexpr double kHuberBeta = 0.05;  // normalized units: errors beyond 5 % of scale count linearly
constexpr std::int64_t kHeadWidth = 64;
// The network's corrections are weighed on traces held out of the first kWeighAt of training
// (steps and budget): kValidationShare of the traces, at most kValidationWindows windows of them.
constexpr double kWeighAt = 0.8;
constexpr double kValidationShare = 0.25;
constexpr std::size_t kValidationWindows = 4096;
constexpr std::size_t kMinSourcesToHoldOut = 4;  // with fewer traces, none is held out (weights 1)
constexpr int kWeightSteps = 10;                 // candidate weights 0, 0.1, ..., 1
// The smallest weight whose held-out error is within this share of the least one is kept: a
// correction that barely helps on a few traces is not trusted on the next ones.
constexpr double kWeightMargin = 0.01;

ml::SeqEncoderOptions encoder_options(std::string_view arch) {
  ml::SeqEncoderOptions o;
  o.arch = ml::parse_seq_arch(arch);
  o.input_dim = static_cast<std::int64_t>(kTokenFeatures);
  o.d_model = 32;
  o.transformer_layers = 2;
  o.heads = 4;
  o.ff_dim = 64;
  o.dropout = 0.05;
  return o;
}

class SeqNetImpl : public torch::nn::Module {
 public:
  // phase_inputs: 0 for model files from before the phase inputs.
  SeqNetImpl(const ml::SeqEncoderOptions& options, std::int64_t phase_inputs, std::int64_t outputs)
      : phase_inputs_(phase_inputs),
        encoder_(register_module("encoder", ml::SeqEncoder(options))),
        hidden_(register_module("hidden", torch::nn::Linear(2 * options.d_model + phase_inputs, kHeadWidth))),
        out_(register_module("out", torch::nn::Linear(kHeadWidth, outputs))) {}

  // x: [tokens, batch, features], phase: [batch, phase_inputs] -> [batch, outputs]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& phase) {
    const torch::Tensor h = encoder_->forward(x);
    torch::Tensor pooled = torch::cat({h[-1], h.mean(0)}, 1);
    if (phase_inputs_ > 0) pooled = torch::cat({pooled, phase}, 1);
    return out_(torch::gelu(hidden_(pooled)));
  }

  std::int64_t phase_inputs() const { return phase_inputs_; }

 private:
  std::int64_t phase_inputs_;
  ml::SeqEncoder encoder_;
  torch::nn::Linear hidden_;
  torch::nn::Linear out_;
};
TORCH_MODULE(SeqNet);

// Inputs of a batch of windows, with the last values and scales to turn outputs back into units.
struct Batch {
  torch::Tensor x;      // [tokens, batch, features]
  torch::Tensor phase;  // [batch, phase_feature_count] (empty without phase inputs)
  // The phase forecast's change per output (window, channel, horizon), in window-scale units: the
  // base the network's output is added to (zeros without phase inputs or phases).
  std::vector<float> base;
  std::vector<std::uint8_t> found;  // [window * kChannelCount + channel]: phases found
  std::vector<ChannelValues> last;
  std::vector<ChannelValues> scales;
};

// Without phase inputs (model files from before them) there is no base.
Batch encode(std::span<const WindowRef> windows, const ForecastSpec& spec, bool with_phases,
             Holding holding) {
  const std::size_t tokens = token_count(spec.window);
  const std::size_t phase_count = with_phases ? phase_feature_count(spec) : 0;
  const auto n = static_cast<std::int64_t>(windows.size());
  Batch b;
  torch::Tensor flat =
      torch::empty({n, static_cast<std::int64_t>(tokens), static_cast<std::int64_t>(kTokenFeatures)});
  b.phase = torch::zeros({n, static_cast<std::int64_t>(phase_count)});
  float* data = flat.data_ptr<float>();
  float* phase = b.phase.data_ptr<float>();
  b.base.assign(windows.size() * spec.outputs(), 0.0F);
  b.found.assign(windows.size() * kChannelCount, 0);
  for (std::size_t w = 0; w < windows.size(); ++w) {
    b.last.push_back(last_values(windows[w], spec.window));
    b.scales.push_back(window_scales(windows[w], spec.window));
    encode_tokens(windows[w], spec.window, b.last.back(), b.scales.back(),
                  std::span<float>(data + w * tokens * kTokenFeatures, tokens * kTokenFeatures));
    if (with_phases) {
      phase_features(windows[w], spec, b.last.back(), b.scales.back(), holding,
                     std::span<float>(phase + w * phase_count, phase_count));
      const float* f = phase + w * phase_count;
      const std::size_t per_channel = phase_count / kChannelCount;
      for (std::size_t c = 0; c < kChannelCount; ++c) {
        b.found[w * kChannelCount + c] = f[c * per_channel] > 0 ? 1 : 0;
        for (std::size_t h = 0; h < spec.horizons.size(); ++h)
          b.base[output_index(spec, w, c, h)] = f[c * per_channel + kPhaseForecastOffset + h];
      }
    }
  }
  b.x = flat.transpose(0, 1).contiguous();
  return b;
}

// The traces (WindowRef::source) of `windows`, sorted, each once.
std::vector<std::uint32_t> distinct_sources(std::span<const WindowRef> windows) {
  std::vector<std::uint32_t> sources;
  for (const WindowRef& w : windows) sources.push_back(w.source);
  std::ranges::sort(sources);
  sources.erase(std::unique(sources.begin(), sources.end()), sources.end());
  return sources;
}

// The windows of about kValidationShare of the sources (traces), drawn by `seed`, and the rest.
// No validation windows with fewer than kMinSourcesToHoldOut sources.
std::pair<std::vector<WindowRef>, std::vector<WindowRef>> split_by_source(std::span<const WindowRef> windows,
                                                                          std::uint64_t seed) {
  std::vector<std::uint32_t> sources = distinct_sources(windows);
  if (sources.size() < kMinSourcesToHoldOut) return {{windows.begin(), windows.end()}, {}};
  std::mt19937_64 rng(seed);
  std::ranges::shuffle(sources, rng);
  const auto held =
      static_cast<std::size_t>(std::ceil(kValidationShare * static_cast<double>(sources.size())));
  std::vector<std::uint32_t> validation_sources(sources.begin(),
                                                sources.begin() + static_cast<std::ptrdiff_t>(held));
  std::ranges::sort(validation_sources);
  std::pair<std::vector<WindowRef>, std::vector<WindowRef>> out;
  for (const WindowRef& w : windows) {
    (std::ranges::binary_search(validation_sources, w.source) ? out.second : out.first).push_back(w);
  }
  if (out.second.size() > kValidationWindows) {
    std::ranges::shuffle(out.second, rng);
    out.second.resize(kValidationWindows);
  }
  return out;
}

// A boolean of the model file's meta; false when absent, ParseError naming it when not a boolean.
bool flag_or_false(const ml::ModelFile& file, const std::string& key, const std::string& name) {
  const auto it = file.meta.find(key);
  if (it == file.meta.end()) return false;
  if (!it->is_boolean()) throw ParseError(name, 0, key, "must be true or false");
  return it->get<bool>();
}

class SeqForecaster final : public Forecaster {
 public:
  SeqForecaster(std::string_view arch, const ForecastSpec& spec)
      : Forecaster(spec), arch_(arch), net_(make_net(true)) {
    net_->eval();  // inference mode until fit(): no dropout
  }

  std::string name() const override { return "seq:" + arch_; }

  void refresh_long_memory(const WindowRef& w, ChannelPeriods& periods,
                           ChannelSwitchEvidence& evidence) const override {
    if (with_phases()) refresh_phase_memory(w, spec(), holding_, periods, evidence);
  }

  void fit(std::span<const WindowRef> windows, const TrainOptions& options) override {
    ml::configure_torch(options.threads, options.seed);
    net_ = make_net(true);
    phases_stand_ = true;
    holding_ = kCurrentHolding;
    weights_.assign(spec().outputs(), 1.0F);
    const auto [training, validation] = split_by_source(windows, options.seed);
    net_->train();
    torch::optim::Adam optimizer(net_->parameters(), torch::optim::AdamOptions(kLearningRate));
    std::mt19937_64 rng(options.seed);
    std::vector<WindowRef> batch(static_cast<std::size_t>(kBatch));
    const auto started = std::chrono::steady_clock::now();
    // Steps [from, to) on windows drawn from `pool`, until `share` of the budget is spent.
    const auto train_steps = [&](std::span<const WindowRef> pool, std::size_t from, std::size_t to,
                                 double share) {
      std::uniform_int_distribution<std::size_t> pick(0, pool.size() - 1);
      for (std::size_t step = from; step < to; ++step) {
        const double elapsed_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        if (elapsed_s > share * options.budget_s || (options.stop && options.stop->load())) return;
        const double progress = static_cast<double>(step) / static_cast<double>(options.max_steps);
        // Cosine decay to a tenth of the initial rate, by step so that a run is reproducible.
        const double lr = kLearningRate * (0.1 + 0.45 * (1 + std::cos(std::numbers::pi * progress)));
        for (auto& group : optimizer.param_groups())
          static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
        for (auto& w : batch) w = pool[pick(rng)];
        const Batch b = encode(batch, spec(), with_phases(), holding_);
        const auto [target, mask] = targets(batch, b);
        const torch::Tensor pred = net_->forward(b.x, b.phase);
        const torch::Tensor loss =
            torch::smooth_l1_loss(pred * mask, target, at::Reduction::Sum, kHuberBeta) /
            mask.sum().clamp_min(1);
        optimizer.zero_grad();
        loss.backward();
        torch::nn::utils::clip_grad_norm_(net_->parameters(), 1.0);
        optimizer.step();
        if (options.on_progress && step % 20 == 0) {
          options.on_progress(std::max(progress, elapsed_s / options.budget_s));
        }
      }
    };
    if (validation.empty()) {
      train_steps(windows, 0, options.max_steps, 1.0);
    } else {
      // Train without the validation traces, weigh the corrections on them, then go on with all.
      const auto weigh_at = static_cast<std::size_t>(kWeighAt * static_cast<double>(options.max_steps));
      train_steps(training, 0, weigh_at, kWeighAt);
      net_->eval();
      weights_ = weigh_corrections(validation);
      net_->train();
      train_steps(windows, weigh_at, options.max_steps, 1.0);
    }
    net_->eval();
  }

  void predict(std::span<const WindowRef> windows, std::span<float> out) const override {
    if (windows.empty()) return;
    const auto [b, pred] = infer(windows);
    const float* p = pred.data_ptr<float>();
    const std::size_t horizons = spec().horizons.size();
    for (std::size_t w = 0; w < windows.size(); ++w) {
      for (std::size_t c = 0; c < kChannelCount; ++c) {
        for (std::size_t h = 0; h < horizons; ++h) {
          const std::size_t i = output_index(spec(), w, c, h);
          const float correction = corrected(b, w, c) ? weights_[c * horizons + h] * p[i] : 0.0F;
          // NaN where the window lacks the channel.
          out[i] = clamp_to_range(static_cast<Channel>(c),
                                  b.last[w][c] + (b.base[i] + correction) * b.scales[w][c]);
        }
      }
    }
  }

 protected:
  void save_state(ml::ModelFile& file) const override {
    file.meta["phase_inputs"] = with_phases();
    file.meta["phases_stand"] = phases_stand_;
    file.meta["holding_level"] = holding_ != Holding::last_value;
    file.meta["seasonal_holding"] = holding_ >= Holding::seasonal;
    file.meta["tested_switch"] = holding_ >= Holding::tested_switch;
    file.meta["switch_tested_per_kind"] = holding_ >= Holding::tested_per_kind;
    file.meta["whole_phases"] = holding_ >= Holding::whole_phases;
    file.meta["known_levels"] = holding_ >= Holding::known_levels;
    file.meta["memory_held"] = holding_ >= Holding::memory_held;
    file.meta["correction_weights"] = weights_;
    file.sections["torch"] = ml::module_to_bytes(*net_);
  }

  void load_state(const ml::ModelFile& file, const std::string& name) override {
    const auto it = file.sections.find("torch");
    if (it == file.sections.end()) throw ParseError(name, 0, "torch", "section missing");
    // Files written before the phase inputs lack the key: their head reads the pooled encoder only.
    net_ = make_net(flag_or_false(file, "phase_inputs", name));
    ml::module_from_bytes(*net_, it->second, name);
    net_->eval();
    // Files written before it (no key) corrected the phase forecast too.
    phases_stand_ = flag_or_false(file, "phases_stand", name);
    // Files written before it (no key) held the phases at the last value; files written before the
    // seasonal candidate (no key) hold them at the level without it; files written before the
    // tested switch (no key) switch wherever the phases say, those before its test per kind of
    // phase test both kinds together, those before whole phases count the lookback's first run,
    // those before known levels trust a phase at any level, and those before memory_held hold memory
    // at the holding level.
    holding_ = !flag_or_false(file, "holding_level", name)            ? Holding::last_value
               : !flag_or_false(file, "seasonal_holding", name)       ? Holding::level
               : !flag_or_false(file, "tested_switch", name)          ? Holding::seasonal
               : !flag_or_false(file, "switch_tested_per_kind", name) ? Holding::tested_switch
               : !flag_or_false(file, "whole_phases", name)           ? Holding::tested_per_kind
               : !flag_or_false(file, "known_levels", name)           ? Holding::whole_phases
               : !flag_or_false(file, "memory_held", name)            ? Holding::known_levels
                                                                      : Holding::memory_held;
    weights_ = correction_weights(file, name);
  }

 private:
  SeqNet make_net(bool with_phases) const {
    return SeqNet(encoder_options(arch_),
                  with_phases ? static_cast<std::int64_t>(phase_feature_count(spec())) : 0,
                  static_cast<std::int64_t>(spec().outputs()));
  }
  bool with_phases() const { return net_->phase_inputs() > 0; }

  // The inputs of `windows` and the network's raw output for them, [windows, outputs], without
  // gradients.
  std::pair<Batch, torch::Tensor> infer(std::span<const WindowRef> windows) const {
    Batch b = encode(windows, spec(), with_phases(), holding_);
    c10::InferenceMode guard;
    torch::Tensor pred = net_->forward(b.x, b.phase).contiguous();
    return {std::move(b), std::move(pred)};
  }

  // Per channel x horizon, in [0, 1]; all 1 for files from before the weights (no key).
  std::vector<float> correction_weights(const ml::ModelFile& file, const std::string& name) const {
    const auto it = file.meta.find("correction_weights");
    if (it == file.meta.end()) return std::vector<float>(spec().outputs(), 1.0F);
    const auto bad = [&] {
      return ParseError(
          name, 0, "correction_weights",
          fmt::format("must be {} numbers in [0, 1], one per channel x horizon", spec().outputs()));
    };
    if (!it->is_array() || it->size() != spec().outputs()) throw bad();
    std::vector<float> out;
    for (const auto& v : *it) {
      if (!v.is_number() || !(v.get<double>() >= 0 && v.get<double>() <= 1)) throw bad();
      out.push_back(v.get<float>());
    }
    return out;
  }

  // Per channel x horizon, the smallest weight of the network's corrections, among 0, 0.1, ..., 1,
  // whose error on `windows` is within kWeightMargin of the least (kept_candidate); 1 where they hold
  // no target of that output, 0 where the rule is exact on all of them. The error of a weight is the mean
  // over the windows' traces of the trace's absolute error relative to weight 0's (mean_relative_errors): a
  // correction that helps one held-out trace with large errors and hurts the others is not kept.
  std::vector<float> weigh_corrections(std::span<const WindowRef> windows) const {
    constexpr std::size_t kChunk = 256;
    constexpr std::size_t kWeights = kWeightSteps + 1;
    const std::size_t horizons = spec().horizons.size();
    const std::vector<std::uint32_t> sources = distinct_sources(windows);
    // error[(o * sources + s) * kWeights + k]: output o, trace s, weight k / kWeightSteps.
    std::vector<double> error(spec().outputs() * sources.size() * kWeights, 0.0);
    for (std::size_t from = 0; from < windows.size(); from += kChunk) {
      const auto chunk = windows.subspan(from, std::min(kChunk, windows.size() - from));
      const auto [b, pred] = infer(chunk);
      const float* p = pred.data_ptr<float>();
      for (std::size_t w = 0; w < chunk.size(); ++w) {
        const auto s =
            static_cast<std::size_t>(std::ranges::lower_bound(sources, chunk[w].source) - sources.begin());
        for (std::size_t c = 0; c < kChannelCount; ++c) {
          if (!corrected(b, w, c)) continue;
          for (std::size_t h = 0; h < horizons; ++h) {
            const std::size_t i = output_index(spec(), w, c, h);
            const double truth = chunk[w].history.values[c][chunk[w].end + spec().horizon_steps(h)];
            const double base = b.last[w][c] + b.base[i] * b.scales[w][c];
            const double correction = p[i] * b.scales[w][c];
            if (std::isnan(truth) || std::isnan(base) || std::isnan(correction)) continue;
            double* e = error.data() + ((c * horizons + h) * sources.size() + s) * kWeights;
            for (std::size_t k = 0; k < kWeights; ++k) {
              e[k] += std::abs(truth - base - static_cast<double>(k) * correction / kWeightSteps);
            }
          }
        }
      }
    }
    std::vector<float> weights(spec().outputs(), 1.0F);
    const std::size_t per_output = sources.size() * kWeights;
    for (std::size_t o = 0; o < weights.size(); ++o) {
      const auto kept = kept_candidate(std::span<const double>(error).subspan(o * per_output, per_output),
                                       kWeights, kWeightMargin);
      if (kept) weights[o] = static_cast<float>(*kept) / kWeightSteps;
    }
    return weights;
  }

  // Whether the network's output is added for channel c of window w: not where phases stand.
  bool corrected(const Batch& b, std::size_t w, std::size_t c) const {
    return !(phases_stand_ && b.found[w * kChannelCount + c]);
  }

  // Normalized change per channel x horizon, and a mask of the targets that exist.
  std::pair<torch::Tensor, torch::Tensor> targets(std::span<const WindowRef> batch, const Batch& b) const {
    const auto outputs = static_cast<std::int64_t>(spec().outputs());
    torch::Tensor target = torch::zeros({static_cast<std::int64_t>(batch.size()), outputs});
    torch::Tensor mask = torch::zeros_like(target);
    float* t = target.data_ptr<float>();
    float* m = mask.data_ptr<float>();
    const std::size_t horizons = spec().horizons.size();
    for (std::size_t w = 0; w < batch.size(); ++w) {
      for (std::size_t c = 0; c < kChannelCount; ++c) {
        for (std::size_t h = 0; h < horizons; ++h) {
          const float truth = batch[w].history.values[c][batch[w].end + spec().horizon_steps(h)];
          const std::size_t i = output_index(spec(), w, c, h);
          const float delta = (truth - b.last[w][c]) / b.scales[w][c] - b.base[i];
          if (std::isnan(delta) || !corrected(b, w, c)) continue;
          t[i] = delta;
          m[i] = 1;
        }
      }
    }
    return {target, mask};
  }

  std::string arch_;
  mutable SeqNet net_;
  bool phases_stand_ = true;           // false for model files from before it
  Holding holding_ = kCurrentHolding;  // older rules for model files from before them
  std::vector<float> weights_ = std::vector<float>(spec().outputs(), 1.0F);  // of the corrections
};

}  // namespace

std::unique_ptr<Forecaster> make_seq_forecaster(std::string_view arch, const ForecastSpec& spec) {
  return std::make_unique<SeqForecaster>(arch, spec);
}

}  // namespace gpuopt::forecast
