// Small models trained on the measured timm set, scored on families they never saw: quick sanity
// checks of accuracy (bench/memory_eval.sh measures the real targets).
#include <gtest/gtest.h>

#include "data_dir.hpp"
#include "gpuopt/memory/evaluation.hpp"
#include "gpuopt/memory/predictor.hpp"

namespace gpuopt::memory {
namespace {

struct Split {
  std::vector<Task> train, test;
};

Split timm_split(const std::filesystem::path& dir) {
  const std::vector<Task> tasks = read_tasks((dir / "memory" / "timm_a100.jsonl").string());
  const std::vector<int> folds = group_folds(tasks, 5, 1);
  Split s;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (folds[i] == 0) {
      s.test.push_back(tasks[i]);
    } else if (is_trainable(tasks[i], RowSelection{})) {
      s.train.push_back(tasks[i]);
    }
  }
  return s;
}

ModelScores train_and_score(const std::string& name, const Split& split, int epochs) {
  auto predictor = make_predictor(name);
  TrainOptions options;
  options.epochs = epochs;
  predictor->fit(split.train, options);
  return evaluate_predictor(*predictor, split.test, RowSelection{}).summary;
}

TEST(MemoryModelData, HybridPredictsUnseenTimmFamilies) {
  GPUOPT_DATA_DIR_OR_SKIP(dir);
  const Split split = timm_split(dir);
  const ModelScores s = train_and_score("seq:bigru-transformer", split, 8);
  std::printf(
      "seq:bigru-transformer (8 epochs) on held-out families: n %zu, MAPE %.3f, R2 %.3f, coverage %.3f\n",
      s.scores.n, s.scores.mape, s.scores.r2, s.bound.coverage);
  EXPECT_GT(s.scores.n, 400U);
  EXPECT_LT(s.scores.mape, 0.3);
  EXPECT_GT(s.scores.r2, 0.6);
  EXPECT_GT(s.bound.coverage, 0.8);
}

TEST(MemoryModelData, XgboostBaselineIsSane) {
  GPUOPT_DATA_DIR_OR_SKIP(dir);
  const ModelScores s = train_and_score("tree:xgboost", timm_split(dir), 0);
  std::printf("tree:xgboost on held-out families: MAPE %.3f, R2 %.3f\n", s.scores.mape, s.scores.r2);
  EXPECT_LT(s.scores.mape, 0.5);
  EXPECT_GT(s.scores.r2, 0.5);
}

}  // namespace
}  // namespace gpuopt::memory
