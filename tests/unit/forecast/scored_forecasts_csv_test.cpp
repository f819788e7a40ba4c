// `gpuopt forecast eval --forecasts FILE` (apps/gpuopt/scored_forecasts_csv.hpp): one CSV row per
// scored forecast, naming the trace, the GPU and the origin's time.
#include "scored_forecasts_csv.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "forecast_test_util.hpp"
#include "gpuopt/error.hpp"

namespace gpuopt::cli {
namespace {

using namespace std::chrono_literals;

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ScoredForecastsCsv, NamesTheTraceTheGpuAndTheOriginTime) {
  const auto ramp = [](forecast::Channel c, std::size_t k) {
    return c == forecast::Channel::power ? static_cast<float>(k) : forecast::test::kNaN;
  };
  DeviceInfo gpu3;
  gpu3.index = 3;
  DeviceInfo gpu5;
  gpu5.index = 5;
  const std::vector<forecast::Trace> traces{
      {"runs/a,b.csv",
       {{gpu3, {forecast::test::make_segment(40, ramp)}}, {gpu5, {forecast::test::make_segment(40, ramp)}}}}};
  forecast::ForecastSpec spec;
  spec.horizons = {1s};
  const auto windows = forecast::evaluation_windows(traces, spec, 10);
  ASSERT_EQ(windows.size(), 4U);  // origins at steps 15 and 25 of each GPU

  ScoredForecastsCsv csv;
  forecast::EvalAccumulator acc(spec);
  const auto model = forecast::make_forecaster("persistence", spec);
  const forecast::Forecaster* models[] = {model.get()};
  acc.add(models, windows, [&](const forecast::ScoredForecast& f) { csv.add(traces, f); });

  const auto dir = std::filesystem::temp_directory_path() / ("gpuopt-csv-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  csv.write((dir / "f.csv").string());
  const std::string text = read_all(dir / "f.csv");
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "trace,gpu,time,model,channel,horizon_s,observed,forecast,persistence");
  // Step 15 of GPU 5 is 1.5 s after the segment's start; the value 1 s ahead is step 25's.
  EXPECT_NE(text.find("\"runs/a,b.csv\",5,2023-11-14T22:13:21.500Z,persistence,power,1,25,15,15\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\"runs/a,b.csv\",3,2023-11-14T22:13:22.500Z,persistence,power,1,35,25,25\n"),
            std::string::npos)
      << text;
  std::filesystem::remove_all(dir);
  try {
    csv.write((dir / "missing" / "f.csv").string());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("forecasts file"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("missing/f.csv"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gpuopt::cli
