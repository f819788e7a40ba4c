#include "gpuopt/memory/task.hpp"

#include <gtest/gtest.h>

#include "gpuopt/error.hpp"
#include "memory_test_files.hpp"

namespace gpuopt::memory {
namespace {

using nlohmann::json;

json valid() { return json::parse(test::task_line()); }

// The ParseError thrown for `j`, or a failure when none is.
ParseError error_of(const json& j) {
  try {
    task_from_json(j, "tasks.jsonl", 7);
  } catch (const ParseError& e) {
    return e;
  }
  ADD_FAILURE() << "no ParseError for " << j.dump();
  return ParseError("", 0, "", "");
}

TEST(TaskJson, ReadsEveryField) {
  const Task t = task_from_json(valid(), "f", 1);
  EXPECT_EQ(t.id, "t/a/bs8");
  EXPECT_EQ(t.source, "test");
  EXPECT_EQ(t.family, "resnet");  // derived from the model when absent
  EXPECT_EQ(t.framework, "pytorch");
  EXPECT_EQ(t.optimizer, std::nullopt);  // null = not recorded
  EXPECT_EQ(t.gpu_mem_mib, 40960);
  EXPECT_EQ(t.batch_size, 8);
  EXPECT_EQ(t.input_shape, (std::vector<std::int64_t>{3, 32, 32}));
  ASSERT_EQ(t.layers.size(), 3u);
  EXPECT_EQ(t.layers[0].kind, "Conv2d");
  EXPECT_EQ(t.layers[0].output_elements, 4096);
  EXPECT_EQ(t.layers[0].params, 900);
  EXPECT_TRUE(t.layers[0].leaf);
  EXPECT_EQ(t.peak_mem_mib, 1700.5);
  EXPECT_EQ(t.status, "ok");
  EXPECT_EQ(t.quality, "clean");
}

TEST(TaskJson, RoundTripsThroughJson) {
  json j = valid();
  j["family"] = "custom";
  j["layers_ext"] = json::parse(R"([["Block",4096,5,0],["Conv2d",4096,900,1]])");
  const Task t = task_from_json(j, "f", 1);
  ASSERT_EQ(t.layers_ext.size(), 2u);
  EXPECT_FALSE(t.layers_ext[0].leaf);
  const Task back = task_from_json(task_to_json(t), "f", 1);
  EXPECT_EQ(task_to_json(back), task_to_json(t));
  EXPECT_EQ(back.family, "custom");
  EXPECT_FALSE(back.layers_ext[0].leaf);
  EXPECT_EQ(back.optimizer, std::nullopt);
}

TEST(TaskJson, TaskToPredictOmitsMeasurement) {
  json j = valid();
  for (const char* field : {"peak_mem_mib", "status", "quality", "input_shape"}) j.erase(field);
  const json out = task_to_json(task_from_json(j, "f", 1));
  EXPECT_FALSE(out.contains("peak_mem_mib"));
  EXPECT_FALSE(out.contains("status"));
  EXPECT_FALSE(out.contains("input_shape"));
}

TEST(TaskJson, ErrorsNameFileLineAndField) {
  const ParseError e = error_of([] {
    json j = valid();
    j["batch_size"] = -4;
    return j;
  }());
  EXPECT_EQ(e.file(), "tasks.jsonl");
  EXPECT_EQ(e.line(), 7u);
  EXPECT_EQ(e.field(), "batch_size");
  EXPECT_STREQ(e.what(), "tasks.jsonl:7: field 'batch_size': must be >= 1, got -4");
}

struct BadCase {
  const char* patch;  // JSON merge patch applied to the valid task
  const char* field;
  const char* reason_part;
};

class TaskJsonRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(TaskJsonRejects, NamingTheField) {
  json j = valid();
  j.merge_patch(json::parse(GetParam().patch));
  const ParseError e = error_of(j);
  EXPECT_EQ(e.field(), GetParam().field) << e.what();
  EXPECT_NE(e.reason().find(GetParam().reason_part), std::string::npos) << e.what();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TaskJsonRejects,
    ::testing::Values(BadCase{R"({"colour":"red"})", "colour", "unknown field"},
                      BadCase{R"({"id":null})", "id", "required"}, BadCase{R"({"id":""})", "id", "empty"},
                      BadCase{R"({"batch_size":"8"})", "batch_size", "expected an integer, got string"},
                      BadCase{R"({"batch_size":8.5})", "batch_size", "expected an integer"},
                      BadCase{R"({"batch_size":0})", "batch_size", ">= 1"},
                      BadCase{R"({"batch_size":2199023255552})", "batch_size", "<= 2^40"},
                      BadCase{R"({"params":-1})", "params", ">= 0"},
                      BadCase{R"({"input_shape":[3,-32,32]})", "input_shape[1]", ">= 1"},
                      BadCase{R"({"input_shape":[]})", "input_shape", "empty"},
                      BadCase{R"({"layers":[]})", "layers", "must not be empty"},
                      BadCase{R"({"layers":"conv"})", "layers", "expected an array"},
                      BadCase{R"({"layers":[["Conv2d",-5,0]]})", "layers[0][1]", ">= 0"},
                      BadCase{R"({"layers":[["Conv2d",5]]})", "layers[0]", "expected [kind"},
                      BadCase{R"({"layers":[[3,5,0]]})", "layers[0][0]", "layer kind"},
                      BadCase{R"({"layers_ext":[["Conv2d",5,0,2]]})", "layers_ext[0][3]", "0 or 1"},
                      BadCase{R"({"status":"crashed"})", "status", "not one of"},
                      BadCase{R"({"quality":"great"})", "quality", "not one of"},
                      BadCase{R"({"precision":"int4"})", "precision", "not one of"},
                      BadCase{R"({"mode":"eval"})", "mode", "not one of"},
                      BadCase{R"({"gpu_mem_mib":0})", "gpu_mem_mib", ">= 1"},
                      BadCase{R"({"peak_mem_mib":-3})", "peak_mem_mib", ">= 0"},
                      BadCase{R"({"peak_mem_mib":null})", "peak_mem_mib", "required when status is 'ok'"},
                      BadCase{R"({"model":7})", "model", "expected a string"},
                      BadCase{R"({"gpu_mem_mib":40960,"peak_mem_mib":999999})", "peak_mem_mib",
                              "more than the GPU's memory"},
                      BadCase{R"({"peak_mem_mib":1e300})", "peak_mem_mib", "more than the GPU's memory"}));

TEST(TaskJson, RejectsOversizedTextAndLayerLists) {
  json j = valid();
  j["id"] = std::string(1025, 'x');
  EXPECT_EQ(error_of(j).field(), "id");
  j = valid();
  j["layers"] = json::array({json::array({std::string(129, 'k'), 5, 0})});
  EXPECT_EQ(error_of(j).field(), "layers[0][0]");
  j = valid();
  j["layers"] = json::array();
  for (int i = 0; i <= 100000; ++i) j["layers"].push_back(json::array({"Linear", 5, 0}));
  EXPECT_EQ(error_of(j).field(), "layers");
}

TEST(TaskJson, MeasuredModelWithoutParametersMayHaveNoLayers) {
  json j = valid();
  j.merge_patch(json::parse(R"({"params":0,"layers":[],"status":"invalid","peak_mem_mib":null})"));
  EXPECT_TRUE(task_from_json(j, "f", 1).layers.empty());
}

TEST(TaskJson, RejectsNonObjects) { EXPECT_THROW(task_from_json(json::array(), "f", 1), ParseError); }

TEST(FamilyOf, LeadingLettersLowerCased) {
  EXPECT_EQ(family_of("resnet50d"), "resnet");
  EXPECT_EQ(family_of("ViT_base_patch16"), "vit");
  EXPECT_EQ(family_of("bat_resnext26ts"), "bat");
  EXPECT_EQ(family_of("3dcnn"), "");
}

}  // namespace
}  // namespace gpuopt::memory
