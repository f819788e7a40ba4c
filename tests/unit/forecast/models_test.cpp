// Baselines (exact), the registry, masking, model-file round trips and the learned models'
// ability to beat persistence on a learnable synthetic signal.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <set>

#include "forecast_test_util.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/forecast/evaluation.hpp"
#include "gpuopt/forecast/forecaster.hpp"
#include "gpuopt/forecast/training.hpp"
#include "models.hpp"

namespace gpuopt::forecast {
namespace {

using namespace std::chrono_literals;
using test::kNaN;

ForecastSpec small_spec() {
  ForecastSpec spec;
  spec.horizons = {1s, 5s};
  return spec;
}

// Power: a square wave (10 s period) the models can learn; utilization follows; no memory.
Segment square_wave(std::size_t steps) {
  return test::make_segment(steps, [](Channel c, std::size_t k) {
    const bool high = (k / 50) % 2 == 0;
    if (c == Channel::power) return high ? 300.0F : 100.0F;
    if (c == Channel::gpu_util) return high ? 90.0F : 20.0F;
    return kNaN;
  });
}

std::vector<float> predict_one(const Forecaster& model, const WindowRef& w) {
  std::vector<float> out(model.spec().outputs());
  model.predict(std::span<const WindowRef>(&w, 1), out);
  return out;
}

// Equal, NaN (absent) included.
void expect_same(const std::vector<float>& a, const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i])) {
      EXPECT_TRUE(std::isnan(b[i])) << i;
    } else {
      EXPECT_FLOAT_EQ(a[i], b[i]) << i;
    }
  }
}

TEST(Baselines, PersistenceAndMovingAverageAreExact) {
  const Segment s = test::make_segment(
      200, [](Channel c, std::size_t k) { return c == Channel::power ? static_cast<float>(k) : kNaN; });
  const WindowRef w{test::history(s), 99};
  const ForecastSpec spec = small_spec();
  const auto persistence = predict_one(*make_forecaster("persistence", spec), w);
  const auto average = predict_one(*make_forecaster("moving-average", spec), w);
  const std::size_t p = index_of(Channel::power) * 2;
  EXPECT_EQ(persistence[p], 99);
  EXPECT_EQ(persistence[p + 1], 99);
  EXPECT_FLOAT_EQ(average[p], (90 + 99) / 2.0F);      // the last 1 s: steps 90..99
  EXPECT_FLOAT_EQ(average[p + 1], (50 + 99) / 2.0F);  // the last 5 s: steps 50..99
  // A channel the window lacks is not forecast (masked), never zero.
  EXPECT_TRUE(std::isnan(persistence[index_of(Channel::gpu_util) * 2]));
  EXPECT_TRUE(std::isnan(average[index_of(Channel::mem_used) * 2]));
}

TEST(Registry, UnknownNameListsTheValidOnes) {
  try {
    make_forecaster("seq:lstm", small_spec());
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("seq:bigru-transformer"), std::string::npos) << e.what();
  }
  EXPECT_EQ(forecaster_names().size(), 7U);
  for (const auto& name : forecaster_names()) EXPECT_EQ(make_forecaster(name, small_spec())->name(), name);
}

TEST(Horizons, ParsedAndChecked) {
  const auto h = parse_horizons("1s,5s,30s", 100ms);
  ASSERT_EQ(h.size(), 3U);
  EXPECT_EQ(h[2], 30s);
  EXPECT_THROW(parse_horizons("1s,150ms", 100ms), UsageError);
  EXPECT_THROW(parse_horizons("1s,,5s", 100ms), UsageError);
  EXPECT_THROW(parse_horizons("0s", 100ms), UsageError);
  EXPECT_THROW(parse_horizons("25h", 100ms), UsageError);
  // Any order is accepted and sorted: everything downstream takes the last horizon as the longest
  // (given as "20h,1s" it crashed training; "30s,1s" trained a garbage calibration).
  EXPECT_EQ(parse_horizons("30s,1s,5s", 100ms), (std::vector<std::chrono::milliseconds>{1s, 5s, 30s}));
}

TEST(WindowScales, FixedForPercentagesRobustForTheRest) {
  const Segment s = test::make_segment(100, [](Channel c, std::size_t k) {
    if (c == Channel::power) return k == 50 ? 5000.0F : 200.0F;  // one spike is ignored
    if (c == Channel::gpu_util) return 40.0F;
    if (c == Channel::mem_used) return 10.0F;  // below the floor
    return kNaN;
  });
  const ChannelValues scales = window_scales({test::history(s), 99}, WindowConfig{});
  EXPECT_EQ(scales[index_of(Channel::power)], 200);
  EXPECT_EQ(scales[index_of(Channel::gpu_util)], 100);
  EXPECT_EQ(scales[index_of(Channel::mem_used)], 1024);
  EXPECT_TRUE(std::isnan(scales[index_of(Channel::temperature)]));
}

// Ctrl-C during an evaluation: the folds done so far must not pass for the whole evaluation.
TEST(CrossValidation, AStopIsAnErrorNotAPartialResult) {
  std::vector<Trace> traces{{"a.csv", {{DeviceInfo{}, {square_wave(3000)}}}},
                            {"b.csv", {{DeviceInfo{}, {square_wave(3000)}}}}};
  std::atomic<bool> stop{false};
  CrossValidationOptions options;
  options.models = {"persistence"};
  options.train.stop = &stop;
  options.on_fold = [&](const Trace&, const auto&) { stop = true; };
  EXPECT_THROW(leave_one_trace_out(traces, small_spec(), options), Error);
  stop = false;
  options.on_fold = {};
  EXPECT_FALSE(leave_one_trace_out(traces, small_spec(), options).empty());
}

// `--split leave-one-folder-out`: the traces of one folder are held out together, so no model is
// scored on a kind of GPU or job it trained on; a single folder leaves nothing to train on.
TEST(CrossValidation, TracesWithOneKeyAreHeldOutTogether) {
  std::vector<Trace> traces{{"y/c.csv", {{DeviceInfo{}, {square_wave(2000)}}}},
                            {"x/a.csv", {{DeviceInfo{}, {square_wave(2000)}}}},
                            {"y/d.csv", {{DeviceInfo{}, {square_wave(2000)}}}},
                            {"x/b.csv", {{DeviceInfo{}, {square_wave(2000)}}}}};
  CrossValidationOptions options;
  options.models = {"persistence"};
  options.folds = 3;  // not used with a key
  options.fold_key = [](const Trace& t) { return t.file.substr(0, 1); };
  std::size_t fold = 0;
  std::size_t fold_count = 0;
  std::map<std::size_t, std::set<std::string>> held_out;
  options.on_train = [&](std::size_t f, std::size_t folds, const std::string&) {
    fold = f;
    fold_count = folds;
  };
  options.on_fold = [&](const Trace& test, const auto&) { held_out[fold].insert(test.file); };
  leave_one_trace_out(traces, small_spec(), options);
  EXPECT_EQ(fold_count, 2U);
  EXPECT_EQ(held_out, (std::map<std::size_t, std::set<std::string>>{{0, {"x/a.csv", "x/b.csv"}},
                                                                    {1, {"y/c.csv", "y/d.csv"}}}));

  options.fold_key = [](const Trace&) { return std::string("x"); };
  EXPECT_THROW(leave_one_trace_out(traces, small_spec(), options), Error);
}

// `gpuopt forecast eval --forecasts`: every forecast scored reaches the caller, with the held-out
// trace it is on, and they add up to the figures.
TEST(CrossValidation, EveryScoredForecastReachesTheCallerWithItsTrace) {
  std::vector<Trace> traces{{"a.csv", {{DeviceInfo{}, {square_wave(3000)}}}},
                            {"b.csv", {{DeviceInfo{}, {square_wave(2000)}}}}};
  CrossValidationOptions options;
  options.models = {"moving-average"};
  std::map<std::string, std::size_t> per_trace;
  double abs_sum = 0;
  double persistence_abs_sum = 0;
  std::size_t n = 0;
  options.on_forecast = [&](const Trace& test, const ScoredForecast& f) {
    ++per_trace[test.file];
    const Segment& segment = test.gpus[0].segments[0];
    ASSERT_EQ(f.window->history.values[0].data(), segment.values[0].data());  // on that trace
    EXPECT_EQ(*f.model, "moving-average");
    const std::size_t at = f.window->end + static_cast<std::size_t>(f.horizon / segment.step);
    EXPECT_EQ(f.observed, segment.values[index_of(f.channel)][at]);
    EXPECT_EQ(f.persistence, segment.values[index_of(f.channel)][f.window->end]);
    if (f.channel == Channel::power && f.horizon == 5s) {
      abs_sum += std::abs(f.forecast - f.observed);
      persistence_abs_sum += std::abs(f.persistence - f.observed);
      ++n;
    }
  };
  const std::vector<EvalRow> rows = leave_one_trace_out(traces, small_spec(), options);
  EXPECT_GT(per_trace["a.csv"], per_trace["b.csv"]);
  EXPECT_GT(per_trace["b.csv"], 0U);
  const auto row = std::ranges::find_if(rows, [](const EvalRow& r) {
    return r.group.empty() && r.model == "moving-average" && r.channel == Channel::power && r.horizon == 5s;
  });
  ASSERT_NE(row, rows.end());
  EXPECT_EQ(row->n, n);
  EXPECT_NEAR(row->mae, abs_sum / static_cast<double>(n), 1e-3);
  EXPECT_NEAR(row->mase, abs_sum / persistence_abs_sum, 1e-6);
}

class LearnedModels : public ::testing::TestWithParam<std::string> {};

TEST_P(LearnedModels, BeatPersistenceOnAPeriodicSignalAndRoundTrip) {
  const ForecastSpec spec = small_spec();
  std::vector<Trace> traces{{"a.csv", {{DeviceInfo{}, {square_wave(3000)}}}},
                            {"b.csv", {{DeviceInfo{}, {square_wave(1500)}}}}};
  TrainOptions options;
  options.max_steps = 150;
  options.budget_s = 60;
  const auto model =
      train_forecaster(GetParam(), std::span<const Trace>(traces).first(1), spec, options, 4000);
  EXPECT_FALSE(model->calibration().half_width.empty());

  const auto windows = evaluation_windows(std::span<const Trace>(traces).subspan(1), spec, 7);
  EvalAccumulator acc(spec);
  const Forecaster* models[] = {model.get()};
  acc.add(models, windows);
  for (const EvalRow& r : acc.rows()) {
    if (r.channel == Channel::power && r.horizon == 5s) {
      EXPECT_LT(r.mase, 0.85) << r.model;  // trees clip changes at 0.15 scales (this wave jumps 0.67)
    }
  }

  ml::ModelFile file;
  model->save(file);
  const auto bytes = ml::encode_model_file(file);
  const auto loaded = load_forecaster(ml::decode_model_file(bytes, "mem"), "mem");
  EXPECT_EQ(loaded->name(), GetParam());
  expect_same(loaded->calibration().half_width, model->calibration().half_width);
  expect_same(loaded->calibration().half_width_at_floor, model->calibration().half_width_at_floor);
  expect_same(predict_one(*loaded, windows[3]), predict_one(*model, windows[3]));

  if (GetParam() == "tree:xgboost") {  // the file lists its trained outputs; a missing one is an error
    ml::ModelFile cut = file;
    ASSERT_FALSE(cut.sections.empty());
    cut.sections.erase(cut.sections.begin());
    EXPECT_THROW(load_forecaster(cut, "m.gpuopt"), ParseError);
    ml::ModelFile foreign = file;
    foreign.sections["torch"] = "x";
    EXPECT_THROW(load_forecaster(foreign, "m.gpuopt"), ParseError);
  }
}

TEST(Channels, ValuesAreClampedIntoTheirRange) {
  EXPECT_EQ(clamp_to_range(Channel::gpu_util, -3.5F), 0.0F);
  EXPECT_EQ(clamp_to_range(Channel::gpu_util, 104.0F), 100.0F);
  EXPECT_EQ(clamp_to_range(Channel::mem_util, 55.0F), 55.0F);
  EXPECT_EQ(clamp_to_range(Channel::power, -1.0F), 0.0F);
  EXPECT_EQ(clamp_to_range(Channel::power, 1e6F), 1e6F);
  EXPECT_EQ(clamp_to_range(Channel::temperature, -5.0F), -5.0F);
  EXPECT_TRUE(std::isnan(clamp_to_range(Channel::gpu_util, kNaN)));
}

// An untrained network's corrections are large and of any sign: on a GPU idle at 0 % and 0 W,
// half of them would forecast below zero.
TEST(SeqForecaster, ForecastsStayInTheChannelsRange) {
  const ForecastSpec spec = small_spec();
  const Segment idle = test::make_segment(2000, [](Channel c, std::size_t) {
    return c == Channel::power || c == Channel::gpu_util || c == Channel::mem_util ? 0.0F : kNaN;
  });
  std::vector<WindowRef> windows;
  for (std::size_t end = 100; end < 2000; end += 100) windows.push_back({test::history(idle), end});
  const std::size_t horizons = spec.horizons.size();
  for (const char* name : {"seq:gru", "seq:transformer", "seq:bigru-transformer"}) {
    const auto model = make_forecaster(name, spec);
    std::vector<float> out(windows.size() * spec.outputs());
    model->predict(windows, out);
    for (std::size_t w = 0; w < windows.size(); ++w) {
      for (const Channel c : {Channel::power, Channel::gpu_util, Channel::mem_util}) {
        for (std::size_t h = 0; h < horizons; ++h) {
          const float v = out[w * spec.outputs() + index_of(c) * horizons + h];
          EXPECT_GE(v, 0.0F) << name << " " << channel_info(c).name << " window " << w;
          EXPECT_LE(v, channel_info(c).max_value) << name << " " << channel_info(c).name << " window " << w;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Forecast, LearnedModels,
                         ::testing::Values("tree:xgboost", "seq:gru", "seq:transformer",
                                           "seq:bigru-transformer"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

// A correction weight (candidates in order 0, 0.1, ..., 1) must beat the smaller ones by more than
// the margin; ties and near-ties go to the smaller weight.
TEST(SeqForecaster, TheSmallestWeightWithinTheMarginOfTheLeastErrorIsKept) {
  const std::vector<double> near_tie{10.0, 9.95, 9.92};
  EXPECT_EQ(first_within_margin(near_tie, 0.01), 0U);
  EXPECT_EQ(first_within_margin(near_tie, 0.0), 2U);
  const std::vector<double> clear_win{12.0, 10.5, 10.0, 10.08};
  EXPECT_EQ(first_within_margin(clear_win, 0.01), 2U);
  const std::vector<double> tie{3.0, 3.0};
  EXPECT_EQ(first_within_margin(tie, 0.0), 0U);
}

// Held-out traces count alike when the corrections are weighed: a correction that halves the
// error of one trace with large errors but adds 20 % to three others is not kept, though it lowers
// the error summed over the four.
TEST(SeqForecaster, EveryHeldOutTraceCountsAlikeWhenTheCorrectionsAreWeighed) {
  // Per trace: the error at weights 0, 0.5, 1.
  const std::vector<double> errors{100, 75, 50,  // a trace with large errors, halved
                                   10,  11, 12,  // three traces with 20 % more
                                   10,  11, 12,  //
                                   10,  11, 12};
  // Summed over the traces, weight 1 would win: 50 + 3 x 12 = 86 against 100 + 3 x 10 = 130.
  const auto relative = mean_relative_errors(errors, 3);
  ASSERT_EQ(relative.size(), 3U);
  EXPECT_DOUBLE_EQ(relative[0], 1.0);
  EXPECT_DOUBLE_EQ(relative[2], (0.5 + 3 * 1.2) / 4);
  EXPECT_EQ(first_within_margin(relative, 0.01), 0U);
  // A trace without error at weight 0 (no target) is left out; with none left there is no score.
  const std::vector<double> with_empty{0, 0, 0, 10, 8, 6};
  EXPECT_EQ(mean_relative_errors(with_empty, 3), (std::vector<double>{1.0, 0.8, 0.6}));
  EXPECT_TRUE(mean_relative_errors(std::vector<double>{0, 0, 0}, 3).empty());
  EXPECT_EQ(kept_candidate(errors, 3, 0.01), 0U);
  EXPECT_EQ(kept_candidate(with_empty, 3, 0.01), 2U);
  // Without any target there is nothing to choose by; where the rule is exact it is kept.
  EXPECT_EQ(kept_candidate(std::vector<double>{0, 0, 0}, 3, 0.01), std::nullopt);
  EXPECT_EQ(kept_candidate(std::vector<double>{0, 0, 0, 0, 1, 2}, 3, 0.01), 0U);
}

// With four traces or more, training weighs the network's corrections on some held out: one weight
// in [0, 1] per channel x horizon, kept in the model file. At weight 0 the forecast is the phase rule's.
TEST(SeqForecaster, CorrectionsAreWeighedOnHeldOutTracesAndWeightZeroIsThePhaseRule) {
  const ForecastSpec spec = small_spec();
  std::vector<Trace> traces;
  for (int t = 0; t < 5; ++t) {
    traces.push_back({"t" + std::to_string(t) + ".csv", {{DeviceInfo{}, {square_wave(900 + 100 * t)}}}});
  }
  TrainOptions options;
  options.max_steps = 40;
  const auto model = train_forecaster("seq:gru", traces, spec, options, 2000);
  ml::ModelFile file;
  model->save(file);
  const auto& weights = file.meta.at("correction_weights");
  ASSERT_EQ(weights.size(), spec.outputs());
  for (const auto& w : weights) {
    EXPECT_GE(w.get<double>(), 0.0);
    EXPECT_LE(w.get<double>(), 1.0);
  }

  // Fewer than four traces: none is held out, and the corrections keep their full weight.
  ml::ModelFile few;
  train_forecaster("seq:gru", std::span<const Trace>(traces).first(3), spec, options, 2000)->save(few);
  EXPECT_EQ(few.meta.at("correction_weights"), nlohmann::json(std::vector<float>(spec.outputs(), 1.0F)));

  file.meta["correction_weights"] = std::vector<double>(spec.outputs(), 0.0);
  const auto unweighted = load_forecaster(file, "m.gpuopt");
  const auto rule = make_forecaster("phase", spec);
  // A window inside a phase (phases found) and one before any switch was seen (none found).
  const Segment flat = test::make_segment(1500, [](Channel c, std::size_t k) {
    if (c == Channel::power) return 200.0F + static_cast<float>(k % 7);
    if (c == Channel::gpu_util) return 50.0F + static_cast<float>(k % 3);
    return kNaN;
  });
  for (const WindowRef& w :
       {WindowRef{test::history(traces[0].gpus[0].segments[0]), 620}, WindowRef{test::history(flat), 1400}}) {
    expect_same(predict_one(*unweighted, w), predict_one(*rule, w));
  }
}

TEST(ModelFile, OtherDomainsAndMissingSectionsAreRejected) {
  ml::ModelFile file;
  file.meta = {{"domain", "memory"}, {"model", "tree:xgboost"}};
  EXPECT_THROW(load_forecaster(file, "m.gpuopt"), UsageError);
  make_forecaster("seq:gru", small_spec())->save(file);
  file.sections.clear();
  EXPECT_THROW(load_forecaster(file, "m.gpuopt"), ParseError);
}

// A window, step or channel list this gpuopt cannot run is refused at load, naming the field
// (a zero window used to index outside the history).
TEST(ModelFile, ImpossibleSpecsAreRejectedNamingTheField) {
  ml::ModelFile good;
  make_forecaster("persistence", small_spec())->save(good);
  EXPECT_NO_THROW(load_forecaster(good, "m.gpuopt"));
  const auto error_of = [&](const std::function<void(nlohmann::json&)>& edit) {
    ml::ModelFile file = good;
    edit(file.meta);
    try {
      load_forecaster(file, "m.gpuopt");
    } catch (const ParseError& e) {
      return e.field();
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of([](auto& m) { m["window"]["fine_steps"] = 0; }), "window.fine_steps");
  EXPECT_EQ(error_of([](auto& m) { m["window"]["coarse_steps"] = -3; }), "window.coarse_steps");
  EXPECT_EQ(error_of([](auto& m) { m["window"]["coarse_factor"] = 0; }), "window.coarse_factor");
  EXPECT_EQ(error_of([](auto& m) { m["step_ms"] = 0; }), "step_ms");
  EXPECT_EQ(error_of([](auto& m) { m["horizons_ms"] = nlohmann::json::array(); }), "horizons_ms");
  EXPECT_EQ(error_of([](auto& m) { m["horizons_ms"] = {150}; }), "horizons_ms");
  EXPECT_EQ(error_of([](auto& m) { m["horizons_ms"] = {30000, 1000}; }), "horizons_ms");
  EXPECT_EQ(error_of([](auto& m) { m["channels"] = {"bogus"}; }), "channels");
  EXPECT_EQ(error_of([](auto& m) { m["calibration"]["level"] = 7; }), "calibration.level");
  // A persistence file relabelled as a tree model would forecast "no change" under XGBoost's name.
  EXPECT_EQ(error_of([](auto& m) { m["model"] = "tree:xgboost"; }), "xgb_outputs");
  ml::ModelFile seq;
  make_forecaster("seq:gru", small_spec())->save(seq);
  for (const nlohmann::json& weights : {nlohmann::json(std::vector<double>(small_spec().outputs(), 1.5)),
                                        nlohmann::json(std::vector<double>(1, 0.5)), nlohmann::json("all")}) {
    ml::ModelFile file = seq;
    file.meta["correction_weights"] = weights;
    try {
      load_forecaster(file, "m.gpuopt");
      ADD_FAILURE() << weights.dump() << " was accepted";
    } catch (const ParseError& e) {
      EXPECT_EQ(e.field(), "correction_weights");
    }
  }
  EXPECT_EQ(error_of([](auto& m) {
              m["calibration"]["half_width"] = std::vector<double>(small_spec().outputs(), -1.0);
            }),
            "calibration.half_width");
  EXPECT_EQ(error_of([](auto& m) {
              m["calibration"]["half_width_at_floor"] = std::vector<double>(small_spec().outputs(), -1.0);
            }),
            "calibration.half_width_at_floor");
  EXPECT_EQ(error_of([](auto& m) { m["calibration"]["half_width_at_floor"] = std::vector<double>(2, 0.5); }),
            "calibration.half_width_at_floor");
}

}  // namespace
}  // namespace gpuopt::forecast
