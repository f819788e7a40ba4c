// AdaBoost.R2 (Drucker 1997, "Improving Regressors using Boosting Techniques") with the linear loss,
// as scikit-learn's AdaBoostRegressor, except that each round fits one tree on the sample weights
// themselves rather than on a weighted resample: the same emphasis, without sampling noise.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "tree_common.hpp"
#include "xgboost_booster.hpp"

namespace gpuopt::ml {
namespace {

constexpr const char* kName = "tree:adaboost";

std::string tree_section(std::size_t index) { return fmt::format("tree-{:04}", index); }

class AdaBoostR2 final : public TabularRegressor {
 public:
  explicit AdaBoostR2(const TreeOptions& options)
      : options_(options),
        rounds_(options.rounds > 0 ? options.rounds : 100),
        max_depth_(options.max_depth > 0 ? options.max_depth : 4) {}

  std::string name() const override { return kName; }

  void fit(const FeatureMatrix& x, std::span<const float> y, std::span<const float> weights) override {
    check_training_set(x, y, weights);
    XgbMatrix train(x, options_.threads);
    train.set_labels(y);
    std::vector<double> sample_weights;
    for (float w : mean_one_weights(weights, x.rows))
      sample_weights.push_back(w / static_cast<double>(x.rows));
    trees_.clear();
    tree_weights_.clear();
    for (int round = 0; round < rounds_; ++round) {
      if (!boost(train, y, sample_weights, round)) break;
    }
    features_ = x.cols;
  }

  std::vector<float> predict(const FeatureMatrix& x) const override {
    check_prediction_input(kName, features_, x);
    if (x.rows == 0) return {};
    const XgbMatrix matrix(x, options_.threads);
    std::vector<std::vector<float>> per_tree;
    per_tree.reserve(trees_.size());
    for (const XgbBooster& tree : trees_) per_tree.push_back(tree.predict(matrix));
    std::vector<float> out(x.rows);
    for (std::size_t r = 0; r < x.rows; ++r) out[r] = weighted_median(per_tree, r);
    return out;
  }

  std::string save() const override {
    if (trees_.empty()) throw std::logic_error(std::string(kName) + ": save() before fit() or load()");
    std::map<std::string, std::string> sections;
    for (std::size_t i = 0; i < trees_.size(); ++i) sections.emplace(tree_section(i), trees_[i].save_raw());
    return encode_tree_model(kName, features_, {{"tree_weights", tree_weights_}}, std::move(sections));
  }

  void load(std::string_view bytes) override {
    const ModelFile file = decode_tree_model(bytes, kName);
    const std::size_t features = tree_model_features(file, kName);
    const std::vector<double> tree_weights = read_tree_weights(file);
    std::vector<XgbBooster> trees;
    for (std::size_t i = 0; i < tree_weights.size(); ++i) {
      trees.push_back(XgbBooster::load_raw(tree_model_section(file, kName, tree_section(i)),
                                           fmt::format("{} model {}", kName, tree_section(i))));
      if (static_cast<std::size_t>(trees.back().num_features()) != features) {
        throw ParseError(std::string(kName) + " model", 0, tree_section(i),
                         "feature count differs from the header");
      }
      trees.back().set_param("nthread", std::to_string(std::max(1, options_.threads)));
    }
    trees_ = std::move(trees);
    tree_weights_ = tree_weights;
    features_ = features;
  }

 private:
  // One tree fitted on the current sample weights (which sum to 1).
  XgbBooster fit_tree(XgbMatrix& train, std::span<const float> y, const std::vector<double>& sample_weights,
                      int round) const {
    std::vector<float> unit_weights;
    unit_weights.reserve(sample_weights.size());
    for (double w : sample_weights)
      unit_weights.push_back(static_cast<float>(w * static_cast<double>(y.size())));
    train.set_weights(unit_weights);
    TreeOptions round_options = options_;
    round_options.seed = options_.seed + static_cast<std::uint64_t>(round);
    XgbParams params = tree_params(round_options, max_depth_, y, unit_weights);
    const XgbParams mean_leaf = mean_leaf_params();
    params.insert(params.end(), mean_leaf.begin(), mean_leaf.end());
    return XgbBooster::train(train, params, 1);
  }

  // One round: keeps a tree with its confidence and reweights the rows toward the ones it got
  // wrong. false when boosting must stop (a perfect tree, or one no better than chance).
  bool boost(XgbMatrix& train, std::span<const float> y, std::vector<double>& sample_weights, int round) {
    XgbBooster tree = fit_tree(train, y, sample_weights, round);
    const std::vector<float> pred = tree.predict(train);
    std::vector<double> error(y.size());
    double max_error = 0;
    for (std::size_t r = 0; r < y.size(); ++r) {
      error[r] = std::abs(static_cast<double>(pred[r]) - y[r]);
      if (sample_weights[r] > 0) max_error = std::max(max_error, error[r]);
    }
    double mean_loss = 0;
    for (std::size_t r = 0; r < y.size() && max_error > 0; ++r) {
      mean_loss += sample_weights[r] * error[r] / max_error;
    }
    if (max_error == 0 || mean_loss >= 0.5) {
      // A perfect tree decides alone; a weak one is dropped unless it is the first.
      if (max_error == 0 || trees_.empty()) keep(std::move(tree), 1.0);
      return false;
    }
    const double beta = mean_loss / (1 - mean_loss);
    keep(std::move(tree), std::log(1 / beta));
    double sum = 0;
    for (std::size_t r = 0; r < y.size(); ++r) {
      sample_weights[r] *= std::pow(beta, 1 - error[r] / max_error);
      sum += sample_weights[r];
    }
    for (double& w : sample_weights) w /= sum;
    return true;
  }

  void keep(XgbBooster tree, double weight) {
    trees_.push_back(std::move(tree));
    tree_weights_.push_back(weight);
  }

  // The smallest tree prediction whose cumulative tree weight reaches half of the total.
  float weighted_median(const std::vector<std::vector<float>>& per_tree, std::size_t row) const {
    std::vector<std::pair<float, double>> votes;
    double total = 0;
    for (std::size_t t = 0; t < per_tree.size(); ++t) {
      votes.emplace_back(per_tree[t][row], tree_weights_[t]);
      total += tree_weights_[t];
    }
    std::sort(votes.begin(), votes.end());
    double cumulative = 0;
    for (const auto& [value, weight] : votes) {
      cumulative += weight;
      if (cumulative >= 0.5 * total) return value;
    }
    return votes.back().first;
  }

  static std::vector<double> read_tree_weights(const ModelFile& file) {
    const auto it = file.meta.find("tree_weights");
    if (it == file.meta.end() || !it->is_array() || it->empty()) {
      throw ParseError(std::string(kName) + " model", 0, "tree_weights", "missing or empty");
    }
    std::vector<double> weights;
    for (const auto& w : *it) {
      if (!w.is_number() || !(w.get<double>() > 0)) {
        throw ParseError(std::string(kName) + " model", 0, "tree_weights", "not a positive number");
      }
      weights.push_back(w.get<double>());
    }
    return weights;
  }

  TreeOptions options_;
  int rounds_;
  int max_depth_;
  std::vector<XgbBooster> trees_;
  std::vector<double> tree_weights_;
  std::size_t features_ = 0;
};

}  // namespace

std::unique_ptr<TabularRegressor> make_adaboost_r2(const TreeOptions& options) {
  return std::make_unique<AdaBoostR2>(options);
}

}  // namespace gpuopt::ml
