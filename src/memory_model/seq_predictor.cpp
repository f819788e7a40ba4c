// `seq:*`: the sequence memory models (docs/memory.md). Training groups rows by model so each
// distinct layer sequence is encoded once per step, stops early on a family-grouped validation
// split, and calibrates the safe bound on that split (split conformal).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <unordered_map>

#include "bound_calibration.hpp"
#include "fine_tune.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/memory/features.hpp"
#include "length_batches.hpp"
#include "predictors.hpp"
#include "seq_network.hpp"
#include "seq_tokens.hpp"

namespace gpuopt::memory {
namespace {

constexpr std::size_t kMaxTokens = 128;  // longer models are pooled in chunks (the longest has 2251 layers)
constexpr int kDefaultEpochs = 40;
constexpr int kPatience = 8;  // epochs without a better validation loss
constexpr std::size_t kModelsPerStep = 8;
constexpr std::size_t kModelsPerInference = 64;
constexpr double kLearningRate = 1e-3;
constexpr double kFineTuneLearningRate = 3e-4;  // stays near the pretrained weights
constexpr double kWeightDecay = 1e-3;
constexpr double kGradClip = 1.0;
constexpr double kQuantile = 0.95;  // of the bound head; the conformal margin then reaches the target
constexpr double kQuantileWeight = 0.5;
constexpr double kHuberBeta = 0.25;  // log error where the loss turns linear (~28 %)
constexpr double kDefaultGpuMemMib = 40960;
constexpr const char* kTorchSection = "torch";
// The head the weights belong to (seq_network.hpp); files of an older head must be retrained.
constexpr const char* kHeadVersion = "retention-v1";

// Every row of a set of tasks, grouped by layer sequence, as tensors.
struct SeqData {
  std::vector<torch::Tensor> tokens;            // per model: [T_i, kTokenDim]
  std::vector<torch::Tensor> kind_mib;          // per model: [T_i, kLayerKindCount]
  std::vector<std::vector<std::int64_t>> rows;  // per model: its row indices
  torch::Tensor features;                       // [R, F], scaled
  PhysicsTensors physics;                       // [R] each
  torch::Tensor log_target;                     // [R]: log peak, or log GPU memory for an OOM row
  torch::Tensor measured;                       // [R] bool: false = OOM row (the peak exceeds log_target)
};

SeqData prepare(std::span<const Task> tasks, const FeatureScaler& scaler) {
  SeqData d;
  std::unordered_map<std::string, std::size_t> model_of_key;
  std::vector<float> static_mib, batch_size, largest_mib, log_target;
  std::vector<std::uint8_t> measured;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const Task& t = tasks[i];
    const auto [it, inserted] = model_of_key.try_emplace(sequence_key(t), d.tokens.size());
    if (inserted) {
      std::vector<float> tokens = layer_tokens(t, kMaxTokens);
      const auto n = static_cast<std::int64_t>(tokens.size() / kTokenDim);
      d.tokens.push_back(torch::from_blob(tokens.data(), {n, static_cast<std::int64_t>(kTokenDim)}).clone());
      std::vector<float> kind_mib = token_kind_mib(t, kMaxTokens);
      d.kind_mib.push_back(torch::from_blob(kind_mib.data(), {n, kLayerKindCount}).clone());
      d.rows.emplace_back();
    }
    d.rows[it->second].push_back(static_cast<std::int64_t>(i));
    const RowPhysics physics = row_physics(t);
    static_mib.push_back(static_cast<float>(physics.static_mib));
    batch_size.push_back(static_cast<float>(physics.batch_size));
    largest_mib.push_back(static_cast<float>(physics.largest_output_mib));
    const bool has_peak = t.peak_mem_mib && *t.peak_mem_mib > 0;
    const double gpu_mem = t.gpu_mem_mib ? static_cast<double>(*t.gpu_mem_mib) : kDefaultGpuMemMib;
    log_target.push_back(static_cast<float>(std::log(has_peak ? *t.peak_mem_mib : gpu_mem)));
    measured.push_back(has_peak ? 1 : 0);
  }
  ml::FeatureMatrix x = task_features(tasks);
  scaler.apply(x);
  const auto r = static_cast<std::int64_t>(tasks.size());
  d.features = torch::from_blob(x.values.data(), {r, static_cast<std::int64_t>(x.cols)}).clone();
  d.physics = {torch::tensor(static_mib), torch::tensor(batch_size), torch::tensor(largest_mib)};
  d.log_target = torch::tensor(log_target);
  d.measured = torch::tensor(measured).to(torch::kBool);
  return d;
}

// A padded batch of models and the rows that belong to them.
struct Batch {
  torch::Tensor tokens, padding, kind_mib, row_model, row_index;
};

Batch assemble(const SeqData& d, std::span<const std::size_t> models) {
  std::int64_t longest = 0;
  for (std::size_t m : models) longest = std::max(longest, d.tokens[m].size(0));
  const auto count = static_cast<std::int64_t>(models.size());
  Batch b;
  b.tokens = torch::zeros({longest, count, static_cast<std::int64_t>(kTokenDim)});
  b.padding = torch::ones({count, longest}, torch::kBool);
  b.kind_mib = torch::zeros({longest, count, kLayerKindCount});
  std::vector<std::int64_t> row_model, row_index;
  for (std::int64_t j = 0; j < count; ++j) {
    const torch::Tensor& tokens = d.tokens[models[j]];
    b.tokens.slice(0, 0, tokens.size(0)).select(1, j).copy_(tokens);
    b.padding[j].slice(0, 0, tokens.size(0)).fill_(false);
    b.kind_mib.slice(0, 0, tokens.size(0)).select(1, j).copy_(d.kind_mib[models[j]]);
    for (std::int64_t row : d.rows[models[j]]) {
      row_model.push_back(j);
      row_index.push_back(row);
    }
  }
  b.row_model = torch::tensor(row_model, torch::kLong);
  b.row_index = torch::tensor(row_index, torch::kLong);
  return b;
}

LogPeak run(SeqMemoryNet& net, const SeqData& d, const Batch& b) {
  const SeqMemoryNetImpl::Output out =
      net->forward(b.tokens, b.padding, b.kind_mib, b.row_model, d.features.index_select(0, b.row_index));
  const auto rows = [&](const torch::Tensor& t) { return t.index_select(0, b.row_index); };
  return physics_head(
      out.raw, out.retained_mib.index_select(0, b.row_model),
      {rows(d.physics.static_mib), rows(d.physics.batch_size), rows(d.physics.largest_output_mib)});
}

// Huber loss of the log error on measured rows (squared below kHuberBeta, so a few contaminated
// measurements do not dominate), a one-sided penalty when an OOM row is predicted to fit, and
// the pinball loss of the bound.
struct Losses {
  torch::Tensor total, point;
};
Losses losses(const LogPeak& out, const SeqData& d, const Batch& b) {
  const torch::Tensor target = d.log_target.index_select(0, b.row_index);
  const torch::Tensor measured = d.measured.index_select(0, b.row_index);
  const torch::Tensor m = measured.to(torch::kFloat);
  const torch::Tensor rows = torch::full({}, static_cast<double>(target.size(0)));
  const torch::Tensor log_error = torch::nn::functional::smooth_l1_loss(
      out.peak, target,
      torch::nn::functional::SmoothL1LossFuncOptions().reduction(torch::kNone).beta(kHuberBeta));
  const torch::Tensor point = (log_error * m).sum() / m.sum().clamp_min(1);
  const torch::Tensor oom = (torch::relu(target - out.peak).pow(2) * (1 - m)).sum() / rows;
  torch::Tensor total = point + oom;
  if (measured.any().item<bool>()) {
    total = total + kQuantileWeight * ml::pinball_loss(out.upper.masked_select(measured),
                                                       target.masked_select(measured), kQuantile);
  }
  return {total, point + oom};
}

// Per model of `d`, its number of tokens (what a padded batch is as long as).
std::vector<std::int64_t> token_counts(const SeqData& d) {
  std::vector<std::int64_t> out;
  for (const torch::Tensor& t : d.tokens) out.push_back(t.size(0));
  return out;
}

// Predicted log peak and log bound of every row, in row order.
std::pair<torch::Tensor, torch::Tensor> infer(SeqMemoryNet& net, const SeqData& d) {
  const auto rows = d.log_target.size(0);
  torch::Tensor peak = torch::zeros({rows}), upper = torch::zeros({rows});
  // By token count, so each batch pads little (outputs do not depend on the batch: seq_encoder.hpp).
  std::vector<std::size_t> models(d.tokens.size());
  std::iota(models.begin(), models.end(), 0);
  const std::vector<std::int64_t> lengths = token_counts(d);
  std::stable_sort(models.begin(), models.end(),
                   [&](std::size_t a, std::size_t b) { return lengths[a] < lengths[b]; });
  for (std::size_t start = 0; start < models.size(); start += kModelsPerInference) {
    const std::size_t end = std::min(models.size(), start + kModelsPerInference);
    const Batch b = assemble(d, std::span(models).subspan(start, end - start));
    const LogPeak out = run(net, d, b);
    peak.index_copy_(0, b.row_index, out.peak);
    upper.index_copy_(0, b.row_index, out.upper);
  }
  return {peak, upper};
}

std::vector<Task> pick(std::span<const Task> tasks, const std::vector<bool>& mask, bool want) {
  std::vector<Task> out;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (mask[i] == want) out.push_back(tasks[i]);
  }
  return out;
}

// The measured rows training may use (measured_rows) and the OOM rows, in file order.
std::vector<Task> trainable(std::span<const Task> tasks) {
  const std::vector<std::size_t> measured = measured_rows(tasks);
  std::vector<bool> keep(tasks.size(), false);
  for (std::size_t i : measured) keep[i] = true;
  std::vector<Task> out;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (keep[i] || tasks[i].status == "oom") out.push_back(tasks[i]);
  }
  return out;
}

double mean_abs_pct_error(const torch::Tensor& log_pred, const SeqData& d) {
  const torch::Tensor m = d.measured;
  if (!m.any().item<bool>()) return 0;
  const torch::Tensor truth = d.log_target.masked_select(m).exp();
  return ((log_pred.masked_select(m).exp() - truth).abs() / truth).mean().item<double>();
}

}  // namespace

namespace {

class SeqPredictor final : public MemoryPredictor {
 public:
  explicit SeqPredictor(std::string name) : name_(std::move(name)) {}

  std::string name() const override { return name_; }

  void fit(std::span<const Task> tasks, const TrainOptions& options) override {
    check_fine_tune_options(name_, true, options);
    ml::configure_torch(options.threads, options.seed);
    const std::vector<Task> rows = trainable(tasks);
    const ValidationSplit split = seq_validation_split(rows, options.validation_fraction, options.seed);
    const std::vector<Task> train_rows = pick(rows, split.mask, false),
                            val_rows = pick(rows, split.mask, true);
    // Fine-tuning keeps the pretrained feature scaling: the encoder and head were fitted to it.
    if (options.init) {
      load(*options.init, options.init_source);
    } else {
      scaler_.fit(task_features(train_rows));
    }
    const SeqData train = prepare(train_rows, scaler_);
    // Without validation rows, early stopping and the bound fall back to the training rows.
    const SeqData val = val_rows.empty() ? train : prepare(val_rows, scaler_);
    if (!options.init) {
      net_options_ = default_options(static_cast<std::int64_t>(train.features.size(1)));
      net_ = SeqMemoryNet(net_options_);
    }
    train_epochs(train, val, options);
    summary_["validation_split"] = split.grouping;
    summary_["sources"] = task_sources(train_rows);
    if (options.init) summary_["fine_tune"] = fine_tune_record(options, kFineTuneLearningRate);
    calibrate_bound(val, options.bound_coverage);
  }

  std::vector<MemoryPrediction> predict(std::span<const Task> tasks) const override {
    if (!net_) throw Error(name_ + ": predict before fit or load");
    c10::InferenceMode guard;
    const SeqData d = prepare(tasks, scaler_);
    SeqMemoryNet net = net_;
    const auto [peak, upper] = infer(net, d);
    const torch::Tensor peak_mib = peak.exp().to(torch::kDouble).contiguous();
    const torch::Tensor upper_mib = (upper + log_margin_).exp().to(torch::kDouble).contiguous();
    std::vector<MemoryPrediction> out(tasks.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i].peak_mem_mib = peak_mib.data_ptr<double>()[i];
      out[i].peak_mem_upper_mib = std::max(out[i].peak_mem_mib, upper_mib.data_ptr<double>()[i]);
    }
    return out;
  }

  ml::ModelFile save() const override {
    if (!net_) throw Error(name_ + ": save before fit or load");
    ml::ModelFile file = new_memory_model_file(name_);
    file.meta["network"] = net_options_.to_json();
    file.meta["max_tokens"] = kMaxTokens;
    file.meta["head"] = kHeadVersion;
    file.meta["features"] = task_feature_names();
    file.meta["scaler"] = scaler_.to_json();
    file.meta["bound_log_margin"] = log_margin_;
    file.meta["training"] = summary_;
    SeqMemoryNet net = net_;  // the holder shares the module; serializing does not change it
    file.sections[kTorchSection] = ml::module_to_bytes(*net);
    return file;
  }

  void load(const ml::ModelFile& file, const std::string& source) override {
    if (file.meta.value("features", nlohmann::json::array()) != nlohmann::json(task_feature_names()) ||
        file.meta.value("max_tokens", std::size_t{0}) != kMaxTokens ||
        file.meta.value("head", std::string()) != kHeadVersion) {
      throw ParseError(source, 0, "features", "the model was trained on other inputs; retrain it");
    }
    net_options_ = SeqNetOptions::from_json(file.meta.value("network", nlohmann::json::object()), source);
    if (net_options_.encoder.arch != ml::parse_seq_arch(name_) ||
        net_options_.encoder.input_dim != static_cast<std::int64_t>(kTokenDim)) {
      throw ParseError(source, 0, "network", "does not match the model " + name_);
    }
    scaler_ = FeatureScaler::from_json(file.meta.value("scaler", nlohmann::json::object()),
                                       static_cast<std::size_t>(net_options_.task_features), source);
    log_margin_ = meta_number(file, "bound_log_margin", source, 0, kMaxBoundLogMargin);
    summary_ = file.meta.value("training", nlohmann::json::object());
    const auto section = file.sections.find(kTorchSection);
    if (section == file.sections.end()) throw ParseError(source, 0, kTorchSection, "section missing");
    net_ = SeqMemoryNet(net_options_);
    ml::module_from_bytes(*net_, section->second, source);
    net_->eval();
  }

 private:
  SeqNetOptions default_options(std::int64_t task_features) const {
    SeqNetOptions o;
    o.encoder.arch = ml::parse_seq_arch(name_);
    o.encoder.input_dim = static_cast<std::int64_t>(kTokenDim);
    o.encoder.d_model = 32;
    o.encoder.transformer_layers = 2;
    o.encoder.heads = 4;
    o.encoder.ff_dim = 64;
    o.encoder.dropout = 0.1;
    o.task_features = task_features;
    o.hidden = 64;
    return o;
  }

  // The parameters the optimizer updates; frozen ones stop requiring gradients.
  std::vector<torch::Tensor> trainable_parameters(FreezePolicy freeze) {
    std::vector<torch::Tensor> out;
    for (auto& p : net_->named_parameters()) {
      const bool frozen = freeze == FreezePolicy::encoder && p.key().starts_with("encoder.");
      p.value().set_requires_grad(!frozen);
      if (!frozen) out.push_back(p.value());
    }
    return out;
  }

  // Training mode, except a frozen encoder, which stays deterministic (no dropout).
  void set_training_mode(FreezePolicy freeze) {
    net_->train();
    if (freeze == FreezePolicy::encoder) net_->named_children()["encoder"]->eval();
  }

  // Split conformal margin of the bound on the validation rows (bound_calibration.hpp).
  void calibrate_bound(const SeqData& val, double coverage) {
    net_->eval();
    torch::NoGradGuard no_grad;
    const auto [peak, upper] = infer(net_, val);
    const torch::Tensor m = val.measured;
    const torch::Tensor truth = val.log_target.masked_select(m).exp().to(torch::kDouble);
    const torch::Tensor bound = upper.masked_select(m).exp().to(torch::kDouble);
    log_margin_ = conformal_log_margin(std::span(truth.data_ptr<double>(), truth.numel()),
                                       std::span(bound.data_ptr<double>(), bound.numel()), coverage);
  }

  // One pass over the models of `d` in steps of kModelsPerStep models of similar length (less
  // padding for the Transformer and the per-token heads), in shuffled order; the mean training loss.
  double train_one_epoch(const SeqData& d, torch::optim::Optimizer& optimizer, std::mt19937_64& rng,
                         FreezePolicy freeze) {
    set_training_mode(freeze);
    const std::vector<std::vector<std::size_t>> steps_of_models =
        length_batches(token_counts(d), kModelsPerStep, rng);
    double loss_sum = 0;
    std::size_t steps = 0;
    for (const std::vector<std::size_t>& models : steps_of_models) {
      const Batch b = assemble(d, models);
      optimizer.zero_grad();
      const Losses l = losses(run(net_, d, b), d, b);
      l.total.backward();
      torch::nn::utils::clip_grad_norm_(net_->parameters(), kGradClip);
      optimizer.step();
      loss_sum += l.total.item<double>();
      ++steps;
    }
    return loss_sum / static_cast<double>(std::max<std::size_t>(steps, 1));
  }

  struct Validation {
    double loss = 0, mape = 0;
  };
  Validation validate(const SeqData& val) {
    net_->eval();
    torch::NoGradGuard no_grad;
    const auto [peak, upper] = infer(net_, val);
    Batch whole;
    whole.row_index = torch::arange(val.log_target.size(0), torch::kLong);
    return {losses(LogPeak{peak, upper}, val, whole).point.item<double>(), mean_abs_pct_error(peak, val)};
  }

  // Adam over shuffled steps of kModelsPerStep models; keeps the parameters of the epoch with the
  // lowest validation loss (a fine-tuned model counts its starting point as epoch 0) and stops
  // after kPatience epochs without improvement.
  void train_epochs(const SeqData& train, const SeqData& val, const TrainOptions& options) {
    const double learning_rate = options.init ? kFineTuneLearningRate : kLearningRate;
    torch::optim::Adam optimizer(trainable_parameters(options.freeze),
                                 torch::optim::AdamOptions(learning_rate).weight_decay(kWeightDecay));
    std::mt19937_64 rng(options.seed);
    const int epochs = options.epochs > 0 ? options.epochs : kDefaultEpochs;
    double best_loss = INFINITY;
    std::string best_state;
    int best_epoch = 0, epoch = 0;
    double best_mape = 0;
    if (options.init) {
      const Validation start = validate(val);
      best_loss = start.loss;
      best_mape = start.mape;
      best_state = ml::module_to_bytes(*net_);
    }
    for (epoch = 1; epoch <= epochs && epoch - best_epoch <= kPatience; ++epoch) {
      if (options.stop && options.stop->load()) break;
      const double train_loss = train_one_epoch(train, optimizer, rng, options.freeze);
      const Validation v = validate(val);
      if (v.loss < best_loss) {
        best_loss = v.loss;
        best_epoch = epoch;
        best_mape = v.mape;
        best_state = ml::module_to_bytes(*net_);
      }
      if (options.on_progress) {
        options.on_progress(TrainProgress{epoch, epochs, train_loss, v.mape, best_mape});
      }
    }
    if (!best_state.empty()) ml::module_from_bytes(*net_, best_state, name_);
    summary_ = {{"epochs_run", epoch - 1},
                {"best_epoch", best_epoch},
                {"val_mape", best_mape},
                {"train_rows", train.log_target.size(0)},
                {"val_rows", val.log_target.size(0)}};
  }

  std::string name_;
  SeqNetOptions net_options_;
  SeqMemoryNet net_{nullptr};
  FeatureScaler scaler_;
  double log_margin_ = 0;
  nlohmann::json summary_ = nlohmann::json::object();
};

}  // namespace

std::unique_ptr<MemoryPredictor> make_seq_predictor(std::string_view seq_name) {
  return std::make_unique<SeqPredictor>(std::string(seq_name));
}

}  // namespace gpuopt::memory
