// POST /api/v1/memory/predict through a running agent.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gpuopt/error.hpp"
#include "gpuopt/memory/predictor.hpp"
#include "gpuopt/server.hpp"
#include "gpuopt/telemetry.hpp"
#include "serve_thread.hpp"
#include "server_test_util.hpp"
#include "synthetic_tasks.hpp"

namespace gpuopt {
namespace {

using nlohmann::json;

std::string post(int port, const std::string& target, const std::string& body) {
  return test::raw_http(port, "POST " + target +
                                  " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
                                  "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
}

class MemoryAgent : public ::testing::Test {
 protected:
  void SetUp() override {
    auto predictor = memory::make_predictor("analytic");
    predictor->fit(test::synthetic_tasks(3, 4), memory::TrainOptions{});
    model_file_ = (dir_.path() / "analytic.gpuopt").string();
    ml::save_model_file(model_file_, predictor->save());
  }
  ServeOptions options() const {
    ServeOptions o;
    o.port = 0;
    o.memory_model_file = model_file_;
    return o;
  }
  test::TempDir dir_;
  std::string model_file_;
};

TEST_F(MemoryAgent, AnswersLikeMemPredict) {
  const auto source = open_source("sim:1", SourceOptions{});
  test::ServeThread serve(*source, options());
  memory::Task task = test::synthetic_task(0, 0, 32);
  task.peak_mem_mib.reset();
  task.status.clear();
  task.quality.clear();
  const std::string response =
      post(serve.port(), "/api/v1/memory/predict?gpu_mem=16GiB", memory::task_to_json(task).dump());
  ASSERT_EQ(test::status_of(response), 200) << response;
  const json j = json::parse(test::body_of(response));
  EXPECT_EQ(j["model"], "analytic");
  EXPECT_EQ(j["gpu_mem_mib"], 16384);
  EXPECT_EQ(j["batch_size"], 32);
  const auto predictor = memory::load_predictor_file(model_file_);
  const memory::FitAnswer expected = memory::answer_fit(*predictor, task, 16384);
  EXPECT_DOUBLE_EQ(j["peak_mem_mib"].get<double>(), expected.prediction.peak_mem_mib);
  EXPECT_EQ(j["fits"], expected.fits);
  EXPECT_EQ(j["max_batch_size"], expected.max_batch_size);
  EXPECT_NE(serve.get("/metrics").body.find("gpuopt_memory_predictions_total 1"), std::string::npos);
}

TEST_F(MemoryAgent, BadBodiesAre400NamingTheField) {
  const auto source = open_source("sim:1", SourceOptions{});
  test::ServeThread serve(*source, options());
  std::string response = post(serve.port(), "/api/v1/memory/predict", "{not json");
  EXPECT_EQ(test::status_of(response), 400);
  EXPECT_NE(test::body_of(response).find("invalid JSON"), std::string::npos);

  // Invalid UTF-8 (quoted back in the parse error) and a number past double's range.
  for (const std::string& body : {std::string("\xff"), std::string(R"({"batch_size": 1e400})")}) {
    response = post(serve.port(), "/api/v1/memory/predict", body);
    ASSERT_EQ(test::status_of(response), 400) << response;
    EXPECT_NE(json::parse(test::body_of(response))["error"].get<std::string>().find("invalid JSON"),
              std::string::npos);
  }

  json task = memory::task_to_json(test::synthetic_task(0, 0, 32));
  task["batch_size"] = -4;
  response = post(serve.port(), "/api/v1/memory/predict", task.dump());
  ASSERT_EQ(test::status_of(response), 400) << response;
  EXPECT_EQ(json::parse(test::body_of(response))["field"], "batch_size");

  response = post(serve.port(), "/api/v1/memory/predict?gpu_mem=lots",
                  memory::task_to_json(test::synthetic_task(0, 0, 32)).dump());
  ASSERT_EQ(test::status_of(response), 400);
  EXPECT_EQ(json::parse(test::body_of(response))["parameter"], "gpu_mem");
}

TEST(MemoryAgentStartup, ABadModelFileStopsServeBeforeItStarts) {
  ServeOptions o;
  o.port = 0;
  o.memory_model_file = "/nonexistent/model.gpuopt";
  const auto source = open_source("sim:1", SourceOptions{});
  EXPECT_THROW({ test::ServeThread serve(*source, o); }, Error);
}

}  // namespace
}  // namespace gpuopt
