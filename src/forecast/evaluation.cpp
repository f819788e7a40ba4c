#include "gpuopt/forecast/evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "models.hpp"

namespace gpuopt::forecast {
namespace {

constexpr std::size_t kBatch = 2048;  // windows predicted at a time (bounds memory)

std::vector<float> predict_all(const Forecaster& model, std::span<const WindowRef> windows) {
  std::vector<float> out(windows.size() * model.spec().outputs());
  for (std::size_t from = 0; from < windows.size(); from += kBatch) {
    const std::size_t n = std::min(kBatch, windows.size() - from);
    model.predict(windows.subspan(from, n),
                  std::span<float>(out).subspan(from * model.spec().outputs(), n * model.spec().outputs()));
  }
  return out;
}

}  // namespace

EvalAccumulator::EvalAccumulator(ForecastSpec spec) : spec_(std::move(spec)) {}

void EvalAccumulator::add(std::span<const Forecaster* const> models, std::span<const WindowRef> windows,
                          const ForecastSink& sink) {
  const auto persistence = make_persistence(spec_);
  const std::vector<float> reference = predict_all(*persistence, windows);
  for (const Forecaster* model : models) score(*model, windows, reference, sink);
}

void EvalAccumulator::score(const Forecaster& model, std::span<const WindowRef> windows,
                            std::span<const float> reference, const ForecastSink& sink) {
  const std::string name = model.name();
  auto [it, inserted] = sums_.try_emplace(name, spec_.outputs());
  if (inserted) order_.push_back(name);
  std::vector<Sums>& sums = it->second;
  const std::vector<float> pred = predict_all(model, windows);
  const std::size_t horizons = spec_.horizons.size();
  for (std::size_t w = 0; w < windows.size(); ++w) {
    for (std::size_t c = 0; c < kChannelCount; ++c) {
      for (std::size_t h = 0; h < horizons; ++h) {
        const float truth = windows[w].history.values[c][windows[w].end + spec_.horizon_steps(h)];
        const std::size_t i = output_index(spec_, w, c, h);
        if (std::isnan(truth) || std::isnan(reference[i])) continue;
        // A model that cannot forecast a channel the reference can is scored as persistence.
        const float p = std::isnan(pred[i]) ? reference[i] : pred[i];
        if (sink)
          sink({&windows[w], &name, static_cast<Channel>(c), spec_.horizons[h], truth, p, reference[i]});
        Sums& s = sums[c * horizons + h];
        const double e = static_cast<double>(p) - truth;
        ++s.n;
        s.abs += std::abs(e);
        s.sq += e * e;
        s.ref_abs += std::abs(static_cast<double>(reference[i]) - truth);
      }
    }
  }
}

std::vector<EvalRow> EvalAccumulator::rows(const std::string& group) const {
  std::vector<EvalRow> out;
  const std::size_t horizons = spec_.horizons.size();
  for (const std::string& name : order_) {
    const std::vector<Sums>& sums = sums_.at(name);
    for (std::size_t c = 0; c < kChannelCount; ++c) {
      for (std::size_t h = 0; h < horizons; ++h) {
        const Sums& s = sums[c * horizons + h];
        if (s.n == 0) continue;
        const double n = static_cast<double>(s.n);
        out.push_back({group, name, static_cast<Channel>(c), spec_.horizons[h], s.n, s.abs / n,
                       std::sqrt(s.sq / n),
                       s.ref_abs > 0 ? s.abs / s.ref_abs : std::numeric_limits<double>::quiet_NaN()});
      }
    }
  }
  return out;
}

std::vector<WindowRef> evaluation_windows(std::span<const Trace> traces, const ForecastSpec& spec,
                                          std::size_t stride) {
  WindowSelection selection;
  selection.stride = stride;
  return select_windows(traces, spec, selection);
}

FoldPlan plan_folds(std::span<const Trace> traces, const CrossValidationOptions& options) {
  FoldPlan plan;
  if (options.fold_key) {
    std::map<std::string, std::size_t> key_folds;  // key -> fold, in key order
    for (const Trace& t : traces) key_folds.emplace(options.fold_key(t), 0);
    for (std::size_t i = 0; auto& [key, fold] : key_folds) fold = i++;
    for (const Trace& t : traces) plan.fold_of[t.file] = key_folds.at(options.fold_key(t));
    plan.folds = key_folds.size();
  } else {
    plan.folds = options.folds == 0 ? traces.size() : std::min(options.folds, traces.size());
    for (std::size_t i = 0; i < traces.size(); ++i) plan.fold_of[traces[i].file] = i % plan.folds;
  }
  return plan;
}

std::vector<EvalRow> leave_one_trace_out(std::vector<Trace>& traces, const ForecastSpec& spec,
                                         const CrossValidationOptions& options) {
  EvalAccumulator acc(spec);
  std::map<std::string, EvalAccumulator> by_group;
  const auto [fold_of, folds] = plan_folds(traces, options);
  if (options.fold_key && folds < 2) {
    throw Error(fmt::format("every trace is in one fold ({}): nothing would be left to train on",
                            traces.empty() ? "no trace" : options.fold_key(traces.front())));
  }
  for (std::size_t fold = 0; fold < folds; ++fold) {
    // The held-out traces go last, so the training set is one contiguous span.
    const auto held_out = std::stable_partition(traces.begin(), traces.end(),
                                                [&](const Trace& t) { return fold_of.at(t.file) != fold; });
    const auto n_train = static_cast<std::size_t>(held_out - traces.begin());
    const std::span<const Trace> train(traces.data(), n_train);
    const std::span<const Trace> test(traces.data() + n_train, traces.size() - n_train);
    if (evaluation_windows(test, spec, options.eval_stride).empty()) continue;
    std::vector<std::unique_ptr<Forecaster>> models;
    std::map<std::string, const Forecaster*> by_name;
    std::vector<const Forecaster*> pointers;
    for (const std::string& name : options.models) {
      if (options.on_train) options.on_train(fold, folds, name);
      models.push_back(train_forecaster(name, train, spec, options.train, options.max_train_windows));
      by_name[name] = models.back().get();
      pointers.push_back(models.back().get());
    }
    for (const Trace& t : test) {
      const std::vector<WindowRef> windows =
          evaluation_windows(std::span<const Trace>(&t, 1), spec, options.eval_stride);
      if (windows.empty()) continue;
      ForecastSink sink;
      if (options.on_forecast) sink = [&](const ScoredForecast& f) { options.on_forecast(t, f); };
      acc.add(pointers, windows, sink);
      if (options.group) by_group.try_emplace(options.group(t), spec).first->second.add(pointers, windows);
      if (options.on_fold) options.on_fold(t, by_name);
    }
    // Stopped: the folds so far would pass for the whole evaluation.
    if (options.train.stop && options.train.stop->load()) throw Error("evaluation interrupted; no figures");
  }
  std::vector<EvalRow> rows = acc.rows();
  for (const auto& [group, group_acc] : by_group) {
    const std::vector<EvalRow> more = group_acc.rows(group);
    rows.insert(rows.end(), more.begin(), more.end());
  }
  return rows;
}

}  // namespace gpuopt::forecast
