// Fine-tuning of the sequence memory models (TrainOptions::init / freeze): the start is the
// pretrained model, frozen parameters stay fixed, the meta records it, bad options are refused.
#include <atomic>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gpuopt/error.hpp"
#include "gpuopt/memory/predictor.hpp"
#include "seq_network.hpp"
#include "synthetic_tasks.hpp"

namespace gpuopt::memory {
namespace {

constexpr const char* kModel = "seq:bigru-transformer";

// Families first..first+count-1 of the synthetic set, with their source renamed.
std::vector<Task> families(int first, int count, int models, const std::string& source) {
  std::vector<Task> out;
  for (int f = first; f < first + count; ++f) {
    for (int m = 0; m < models; ++m) {
      for (std::int64_t b : {8, 16, 32, 64, 128}) {
        out.push_back(test::synthetic_task(f, m, b));
        out.back().source = source;
      }
    }
  }
  return out;
}

const ml::ModelFile& pretrained() {
  static const ml::ModelFile file = [] {
    auto predictor = make_predictor(kModel);
    TrainOptions o;
    o.epochs = 3;
    predictor->fit(families(0, 5, 3, "pretrain"), o);
    return predictor->save();
  }();
  return file;
}

// The other families (a larger share of their outputs kept for backward), measured where every
// run takes 30 % more memory (another framework's allocator, say), to fine-tune on: the pretrained
// model cannot know that, so fine-tuning has something to learn.
std::vector<Task> new_families() {
  std::vector<Task> tasks = families(6, 5, 2, "finetune");
  for (Task& t : tasks) t.peak_mem_mib = *t.peak_mem_mib * 1.3;
  return tasks;
}

TrainOptions fine_tune_options(FreezePolicy freeze, int epochs) {
  TrainOptions o;
  o.epochs = epochs;
  o.init = &pretrained();
  o.init_source = "pretrained.gpuopt";
  o.freeze = freeze;
  return o;
}

// The network's parameters as stored in a model file, by name.
std::map<std::string, torch::Tensor> parameters_of(const ml::ModelFile& file) {
  SeqMemoryNet net(SeqNetOptions::from_json(file.meta.at("network"), "file"));
  ml::module_from_bytes(*net, file.sections.at("torch"), "file");
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : net->named_parameters()) out[p.key()] = p.value().clone();
  return out;
}

// Names of the parameters that differ between two model files, split by encoder / head.
struct Changed {
  int encoder = 0, head = 0;
};
Changed changed(const ml::ModelFile& a, const ml::ModelFile& b) {
  const auto pa = parameters_of(a), pb = parameters_of(b);
  Changed c;
  for (const auto& [name, tensor] : pa) {
    if (torch::equal(tensor, pb.at(name))) continue;
    (name.starts_with("encoder.") ? c.encoder : c.head) += 1;
  }
  return c;
}

TEST(FineTune, StartsFromThePretrainedModel) {
  const auto reference = load_predictor(pretrained(), "pretrained.gpuopt");
  TrainOptions o = fine_tune_options(FreezePolicy::none, 5);
  const std::atomic<bool> stop{true};  // no step is taken
  o.stop = &stop;
  auto tuned = make_predictor(kModel);
  const std::vector<Task> tasks = new_families();
  tuned->fit(tasks, o);
  const auto before = reference->predict(tasks), after = tuned->predict(tasks);
  for (std::size_t i = 0; i < tasks.size(); ++i)
    EXPECT_EQ(after[i].peak_mem_mib, before[i].peak_mem_mib) << i;
  const Changed c = changed(pretrained(), tuned->save());
  EXPECT_EQ(c.encoder + c.head, 0);
}

TEST(FineTune, FrozenEncoderStaysFixedWhileTheHeadLearns) {
  auto tuned = make_predictor(kModel);
  tuned->fit(new_families(), fine_tune_options(FreezePolicy::encoder, 3));
  const ml::ModelFile file = tuned->save();
  ASSERT_GT(file.meta["training"]["best_epoch"].get<int>(), 0) << "no epoch improved on the start";
  const Changed c = changed(pretrained(), file);
  EXPECT_EQ(c.encoder, 0);
  EXPECT_GT(c.head, 0);
}

TEST(FineTune, NothingFrozenTrainsTheEncoderToo) {
  auto tuned = make_predictor(kModel);
  tuned->fit(new_families(), fine_tune_options(FreezePolicy::none, 3));
  const ml::ModelFile file = tuned->save();
  ASSERT_GT(file.meta["training"]["best_epoch"].get<int>(), 0) << "no epoch improved on the start";
  EXPECT_GT(changed(pretrained(), file).encoder, 0);
}

TEST(FineTune, MetaRecordsThePretrainedModelAndTheFreezePolicy) {
  auto tuned = make_predictor(kModel);
  tuned->fit(new_families(), fine_tune_options(FreezePolicy::encoder, 1));
  const nlohmann::json training = tuned->save().meta["training"];
  EXPECT_EQ(training["sources"], nlohmann::json::array({"finetune"}));
  EXPECT_EQ(training["fine_tune"]["init"], "pretrained.gpuopt");
  EXPECT_EQ(training["fine_tune"]["freeze"], "encoder");
  EXPECT_LT(training["fine_tune"]["learning_rate"].get<double>(), 1e-3);
  EXPECT_EQ(training["fine_tune"]["pretrained"]["sources"], nlohmann::json::array({"pretrain"}));
  // The fine-tuned model loads like any other.
  EXPECT_NO_THROW(load_predictor(tuned->save(), "tuned"));
}

TEST(FineTune, OneFamilyFallsBackToARowSplit) {
  auto tuned = make_predictor(kModel);
  tuned->fit(families(6, 1, 3, "finetune"), fine_tune_options(FreezePolicy::none, 1));
  EXPECT_EQ(tuned->save().meta["training"]["validation_split"], "rows");
  auto scratch = make_predictor(kModel);
  TrainOptions o;
  o.epochs = 1;
  scratch->fit(families(0, 6, 2, "pretrain"), o);
  EXPECT_EQ(scratch->save().meta["training"]["validation_split"], "family");
}

TEST(FineTune, RefusesOptionsThatDoNotFit) {
  const std::vector<Task> tasks = new_families();
  TrainOptions freeze_only;
  freeze_only.freeze = FreezePolicy::encoder;
  EXPECT_THROW(make_predictor(kModel)->fit(tasks, freeze_only), UsageError);
  EXPECT_THROW(make_predictor("tree:xgboost")->fit(tasks, fine_tune_options(FreezePolicy::none, 1)),
               UsageError);
  EXPECT_THROW(make_predictor("seq:bigru")->fit(tasks, fine_tune_options(FreezePolicy::none, 1)), UsageError);
  EXPECT_EQ(parse_freeze_policy("encoder"), FreezePolicy::encoder);
  EXPECT_THROW(parse_freeze_policy("head"), UsageError);
}

}  // namespace
}  // namespace gpuopt::memory
