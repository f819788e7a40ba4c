// Baselines (exact), the registry, masking, model-file round trips and the learned models'
// ability to beat persistence on a learnable synthetic signal.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <random>

#include "forecast_test_util.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/forecast/evaluation.hpp"
#include "gpuopt/forecast/forecaster.hpp"
#include "gpuopt/forecast/training.hpp"

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
  EXPECT_EQ(forecaster_names().size(), 6U);
  for (const auto& name : forecaster_names()) EXPECT_EQ(make_forecaster(name, small_spec())->name(), name);
}

TEST(Horizons, ParsedAndChecked) {
  const auto h = parse_horizons("1s,5s,30s", 100ms);
  ASSERT_EQ(h.size(), 3U);
  EXPECT_EQ(h[2], 30s);
  EXPECT_THROW(parse_horizons("1s,150ms", 100ms), UsageError);
  EXPECT_THROW(parse_horizons("1s,,5s", 100ms), UsageError);
  EXPECT_THROW(parse_horizons("0s", 100ms), UsageError);
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
  expect_same(predict_one(*loaded, windows[3]), predict_one(*model, windows[3]));
}

INSTANTIATE_TEST_SUITE_P(Forecast, LearnedModels,
                         ::testing::Values("tree:xgboost", "seq:gru", "seq:transformer",
                                           "seq:bigru-transformer"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

// A "learned" model that reads the future: it predicts `gain` times the true change from the
// last value, plus `noise` scales of random change.
class Clairvoyant final : public Forecaster {
 public:
  Clairvoyant(ForecastSpec spec, float gain, float noise)
      : Forecaster(std::move(spec)), gain_(gain), noise_(noise) {}
  std::string name() const override { return "clairvoyant"; }
  void fit(std::span<const WindowRef>, const TrainOptions&) override {}

 protected:
  void predict_raw(std::span<const WindowRef> windows, std::span<float> out) const override {
    std::mt19937 rng(7);
    std::normal_distribution<float> normal;
    for (std::size_t w = 0; w < windows.size(); ++w) {
      const ChannelValues last = last_values(windows[w], spec().window);
      const ChannelValues scales = window_scales(windows[w], spec().window);
      for (std::size_t c = 0; c < kChannelCount; ++c) {
        for (std::size_t h = 0; h < spec().horizons.size(); ++h) {
          const float truth = windows[w].history.values[c][windows[w].end + spec().horizon_steps(h)];
          out[w * spec().outputs() + c * spec().horizons.size() + h] =
              last[c] + gain_ * (truth - last[c]) + noise_ * scales[c] * normal(rng);
        }
      }
    }
  }

 private:
  float gain_;
  float noise_;
};

std::vector<WindowRef> wave_windows(const Segment& s, const ForecastSpec& spec) {
  std::vector<WindowRef> out;
  for (std::size_t end = 20; end + spec.horizon_steps(spec.horizons.size() - 1) < s.size(); end += 3) {
    out.push_back({test::history(s), end});
  }
  return out;
}

TEST(Calibration, DampsChangesTowardPersistenceByWhatTheyAreWorth) {
  const ForecastSpec spec = small_spec();
  const Segment s = test::make_segment(3000, [](Channel c, std::size_t k) {
    return c == Channel::power ? 200 + 100 * std::sin(static_cast<float>(k) / 40) : kNaN;
  });
  const std::vector<WindowRef> windows = wave_windows(s, spec);
  const std::size_t power_5s = index_of(Channel::power) * 2 + 1;

  Clairvoyant twice(spec, 2, 0);  // every change twice too large: halved exactly
  calibrate(twice, windows);
  ASSERT_EQ(twice.calibration().damping.size(), spec.outputs());
  EXPECT_NEAR(twice.calibration().damping[power_5s], 0.5, 1e-4);
  EXPECT_NEAR(twice.calibration().half_width[power_5s], 0, 1e-4);  // damped forecasts are exact
  const WindowRef& w = windows[100];
  const float truth = w.history.values[index_of(Channel::power)][w.end + spec.horizon_steps(1)];
  EXPECT_NEAR(predict_one(twice, w)[power_5s], truth, 1e-2);

  Clairvoyant noise(spec, 0, 1);  // changes without skill: damped to (nearly) persistence
  calibrate(noise, windows);
  EXPECT_LT(noise.calibration().damping[power_5s], 0.1);
  EXPECT_GE(noise.calibration().damping[power_5s], 0);

  const auto persistence = make_forecaster("persistence", spec);  // baselines are never damped
  calibrate(*persistence, windows);
  EXPECT_TRUE(persistence->calibration().damping.empty());
  EXPECT_FALSE(std::isnan(persistence->calibration().half_width[power_5s]));
}

TEST(ModelFile, DampingRoundTripsAndOutOfRangeFactorsAreRejected) {
  const auto model = make_forecaster("seq:gru", small_spec());
  Calibration cal;
  cal.damping.assign(model->spec().outputs(), 0.25F);
  cal.half_width.assign(model->spec().outputs(), 0.1F);
  model->set_calibration(cal);
  ml::ModelFile file;
  model->save(file);
  expect_same(load_forecaster(file, "m.gpuopt")->calibration().damping, cal.damping);

  file.meta["calibration"]["damping"][0] = 1.5;
  try {
    load_forecaster(file, "m.gpuopt");
    FAIL();
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("damping"), std::string::npos) << e.what();
  }
  file.meta["calibration"].erase("damping");  // files written before damping: undamped
  EXPECT_TRUE(load_forecaster(file, "m.gpuopt")->calibration().damping.empty());
}

TEST(ModelFile, OtherDomainsAndMissingSectionsAreRejected) {
  ml::ModelFile file;
  file.meta = {{"domain", "memory"}, {"model", "tree:xgboost"}};
  EXPECT_THROW(load_forecaster(file, "m.gpuopt"), UsageError);
  make_forecaster("seq:gru", small_spec())->save(file);
  file.sections.clear();
  EXPECT_THROW(load_forecaster(file, "m.gpuopt"), ParseError);
}

}  // namespace
}  // namespace gpuopt::forecast
