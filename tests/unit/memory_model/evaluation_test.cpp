// Row selection, grouped folds, the conformal bound margin and the eval report.
#include "gpuopt/memory/evaluation.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "bound_calibration.hpp"
#include "gpuopt/error.hpp"
#include "synthetic_tasks.hpp"

namespace gpuopt::memory {
namespace {

TEST(RowSelection, DefaultScoresOnlyCleanOkRowsWithAPeak) {
  Task t = test::synthetic_task(0, 0, 8);
  const RowSelection defaults;
  EXPECT_TRUE(is_scored(t, defaults));
  t.quality = "noisy";
  EXPECT_FALSE(is_scored(t, defaults));
  EXPECT_TRUE(is_scored(t, RowSelection{true, false}));
  t.quality = "clean";
  t.status = "near_capacity";
  EXPECT_FALSE(is_scored(t, defaults));
  EXPECT_TRUE(is_scored(t, RowSelection{false, true}));
  t.status = "invalid";
  t.peak_mem_mib = 0;
  EXPECT_FALSE(is_scored(t, RowSelection{true, true}));
  t.status = "oom";
  t.peak_mem_mib.reset();
  EXPECT_FALSE(is_scored(t, defaults));
  EXPECT_TRUE(is_trainable(t, defaults));
}

TEST(GroupFolds, KeepsFamiliesTogetherAndBalancesRows) {
  const std::vector<Task> tasks = test::synthetic_tasks(10, 3);
  const std::vector<int> folds = group_folds(tasks, 5, 3);
  std::map<std::string, std::set<int>> folds_of_family;
  std::map<int, int> rows_per_fold;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    folds_of_family[tasks[i].family].insert(folds[i]);
    ++rows_per_fold[folds[i]];
  }
  for (const auto& [family, f] : folds_of_family) EXPECT_EQ(f.size(), 1U) << family;
  ASSERT_EQ(rows_per_fold.size(), 5U);
  for (const auto& [fold, rows] : rows_per_fold) EXPECT_EQ(rows, 30) << fold;
  EXPECT_EQ(folds, group_folds(tasks, 5, 3));
  EXPECT_NE(folds, group_folds(tasks, 5, 4));
}

TEST(GroupFolds, SingleFamilySourcesAreGroupedByModel) {
  std::vector<Task> tasks = test::synthetic_tasks(1, 10);  // one family, ten models
  const std::vector<std::string> groups = split_groups(tasks);
  EXPECT_EQ(std::set<std::string>(groups.begin(), groups.end()).size(), 10U);
  const std::vector<int> folds = group_folds(tasks, 5, 1);
  EXPECT_EQ(std::set<int>(folds.begin(), folds.end()).size(), 5U);
}

TEST(GroupFolds, RejectsBadK) {
  const std::vector<Task> tasks = test::synthetic_tasks(1, 3);
  EXPECT_THROW(group_folds(tasks, 1, 1), UsageError);
  EXPECT_THROW(group_folds(tasks, 4, 1), UsageError);  // 3 groups
}

TEST(ConformalMargin, TakesTheFiniteSampleQuantile) {
  // log(truth/reference) = log(1.01) ... log(1.20): 20 scores; the level is 0.89 + the slack 0.01:
  // ceil(21 x 0.9) = 19th smallest.
  std::vector<double> truth, reference;
  for (int i = 1; i <= 20; ++i) {
    truth.push_back(100 * (1 + 0.01 * i));
    reference.push_back(100);
  }
  EXPECT_NEAR(conformal_log_margin(truth, reference, 0.9 - kFamilyShiftSlack), std::log(1.19), 1e-12);
  EXPECT_NEAR(conformal_log_margin(truth, reference, 0.9), std::log(1.20), 1e-12);  // ceil(21 x 0.91) = 20
  EXPECT_NEAR(conformal_log_margin(truth, reference, 0.99), std::log(1.20), 1e-12);
  // Over-predictions never give a negative margin; no usable rows give 0.
  EXPECT_EQ(conformal_log_margin(std::vector<double>{1, 2}, std::vector<double>{5, 5}, 0.95), 0);
  EXPECT_EQ(conformal_log_margin(std::vector<double>{}, std::vector<double>{}, 0.95), 0);
}

TEST(Scores, PredictionsAreScoredCappedAtTheCardsMemory) {
  std::vector<Task> tasks = test::synthetic_tasks(2, 1);
  std::vector<MemoryPrediction> predictions;
  for (Task& t : tasks) {
    t.peak_mem_mib = std::floor(*t.peak_mem_mib);
    t.gpu_mem_mib = static_cast<std::int64_t>(*t.peak_mem_mib);  // the measured peak filled the card
    predictions.push_back({*t.peak_mem_mib * 10, *t.peak_mem_mib * 20});
  }
  const ModelScores s = score_predictions("m", tasks, predictions, RowSelection{});
  EXPECT_LT(s.scores.mape, 1e-6);
  EXPECT_DOUBLE_EQ(s.bound.coverage, 1.0);
  tasks[0].gpu_mem_mib.reset();  // unknown card: scored as predicted
  EXPECT_GT(score_predictions("m", tasks, predictions, RowSelection{}).scores.mape, 0.5);
}

TEST(Scores, JsonHasExactlyTheIssueKeys) {
  const std::vector<Task> tasks = test::synthetic_tasks(2, 1);
  std::vector<MemoryPrediction> predictions;
  for (const Task& t : tasks) predictions.push_back({*t.peak_mem_mib * 0.9, *t.peak_mem_mib * 1.1});
  const ModelScores s = score_predictions("m", tasks, predictions, RowSelection{});
  EXPECT_EQ(s.scores.n, tasks.size());
  EXPECT_NEAR(s.scores.mape, 0.1, 1e-9);
  EXPECT_DOUBLE_EQ(s.scores.under_pred_rate, 1.0);
  EXPECT_DOUBLE_EQ(s.bound.coverage, 1.0);
  const auto j = scores_json(std::vector<ModelScores>{s});
  std::set<std::string> keys;
  for (const auto& [key, value] : j["models"][0].items()) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"name", "n", "mse", "rmse_mib", "mae_mib", "r2", "mape",
                                         "median_ape", "under_pred_rate", "bound_coverage",
                                         "bound_median_overprov", "train_s", "predict_us"}));
  EXPECT_NE(scores_table(std::vector<ModelScores>{s}).find("m "), std::string::npos);
}

TEST(PredictionsCsv, OneLinePerTaskWithFoldMeasurementAndQuotedText) {
  std::vector<Task> tasks = test::synthetic_tasks(1, 1);
  tasks.resize(2);
  tasks[0].id = "odd,id \"x\"";
  tasks[1].status = "oom";
  tasks[1].peak_mem_mib.reset();
  const std::vector<MemoryPrediction> predictions{{1000.4, 1200.5}, {50000, 60000}};
  const std::string csv = predictions_csv("tree:rf", tasks, std::vector<int>{3, 0}, predictions, RowSelection{});
  EXPECT_EQ(csv, fmt::format("tree:rf,3,\"odd,id \"\"x\"\"\",{},{},ok,clean,1,{:.1f},1000.4,1200.5\n"
                             "tree:rf,0,{},{},{},oom,clean,0,,50000.0,60000.0\n",
                             tasks[0].family, tasks[0].batch_size, *tasks[0].peak_mem_mib, tasks[1].id,
                             tasks[1].family, tasks[1].batch_size));
  // Without folds (a trained model on test files) the fold column is empty.
  EXPECT_TRUE(predictions_csv("m", tasks, {}, predictions, RowSelection{}).starts_with("m,,"));
  const std::string header = predictions_csv_header();
  EXPECT_EQ(std::count(header.begin(), header.end(), ','), 10);
  EXPECT_THROW(predictions_csv("m", tasks, std::vector<int>{1}, predictions, RowSelection{}), Error);
}

TEST(CrossValidate, PredictsEveryRowOnceFromModelsThatNeverSawIt) {
  const std::vector<Task> tasks = test::synthetic_tasks(5, 3);
  const std::vector<int> folds = group_folds(tasks, 5, 1);
  int folds_done = 0;
  const HeldOutRun run =
      cross_validate("tree:dt", tasks, folds, 5, RowSelection{}, TrainOptions{}, [&](int, int k) {
        EXPECT_EQ(k, 5);
        ++folds_done;
      });
  EXPECT_EQ(folds_done, 5);
  ASSERT_EQ(run.predictions.size(), tasks.size());
  for (const auto& p : run.predictions) EXPECT_GT(p.peak_mem_mib, 0);
  EXPECT_EQ(run.summary.scores.n, tasks.size());
  EXPECT_GT(run.summary.train_s, 0);
}

}  // namespace
}  // namespace gpuopt::memory
