// The registry, model-file round trips, determinism and the safe bound of every memory predictor.
#include "gpuopt/memory/predictor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "gpuopt/error.hpp"
#include "predictors.hpp"
#include "seq_tokens.hpp"
#include "synthetic_tasks.hpp"

namespace gpuopt::memory {
namespace {

TrainOptions quick_options(std::uint64_t seed = 7) {
  TrainOptions o;
  o.seed = seed;
  o.epochs = 3;
  return o;
}

std::vector<Task> training_set() { return test::synthetic_tasks(6, 4); }

TEST(MemoryRegistry, CreatesEveryListedModel) {
  for (const auto& name : predictor_names()) EXPECT_EQ(make_predictor(name)->name(), name);
  EXPECT_EQ(predictor_names().size(), 8U);
}

TEST(MemoryRegistry, UnknownNameListsValidOnes) {
  try {
    make_predictor("tree:svm");
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown memory model 'tree:svm'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("seq:bigru-transformer"), std::string::npos);
  }
}

TEST(MemoryRegistry, LoadRejectsOtherDomainsAndUnknownModels) {
  ml::ModelFile file;
  file.meta = {{"domain", "forecast"}, {"model", "analytic"}};
  EXPECT_THROW(load_predictor(file, "f.gpuopt"), UsageError);
  file.meta = {{"domain", "memory"}, {"model", "tree:svm"}};
  try {
    load_predictor(file, "f.gpuopt");
    FAIL() << "expected ParseError";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.file(), "f.gpuopt");
    EXPECT_EQ(e.field(), "model");
  }
}

TEST(MemoryRegistry, TooFewRowsIsAUsageError) {
  const std::vector<Task> tasks = test::synthetic_tasks(1, 1);  // 5 rows
  EXPECT_THROW(make_predictor("tree:dt")->fit(tasks, quick_options()), UsageError);
}

TEST(MeasuredRows, LeavesOutModelsWhosePeakDoesNotGrowWithTheBatch) {
  std::vector<Task> tasks = test::synthetic_tasks(3, 4);  // 5 batch sizes from 8 to 128 per model
  const std::size_t all = measured_rows(tasks).size();
  ASSERT_EQ(all, tasks.size());
  int flattened = 0;
  for (Task& t : tasks) {
    if (t.model == tasks.front().model) {
      t.peak_mem_mib = 2000.0 + static_cast<double>(t.batch_size % 3);  // flat within 5 %
      ++flattened;
    }
  }
  ASSERT_GT(flattened, 1);
  EXPECT_EQ(measured_rows(tasks).size(), all - static_cast<std::size_t>(flattened));
}

TEST(FeatureScaler, StandardizesAndHoldsFarValuesAtTheEdge) {
  // Column 0 spans a range; column 1 is nearly constant in training (a tiny deviation).
  ml::FeatureMatrix train{4, 2, {10, 1000, 100, 1000.001f, 1000, 1000, 10000, 1000.001f}};
  FeatureScaler scaler;
  scaler.fit(train);
  ml::FeatureMatrix x{2, 2, {100, 1e9f, NAN, 1}};
  scaler.apply(x);
  EXPECT_LT(std::abs(x.values[0]), 1.0f);           // inside the training range: a plain z-score
  EXPECT_FLOAT_EQ(x.values[1], kMaxFeatureScore);   // far above a nearly constant column
  EXPECT_FLOAT_EQ(x.values[2], 0.0f);               // missing: the mean
  EXPECT_FLOAT_EQ(x.values[3], -kMaxFeatureScore);  // far below it
}

TEST(TokenKindMib, SplitsEveryOutputByTokenAndKind) {
  Task t = test::synthetic_task(1, 2, 8);
  for (int i = 0; i < 300; ++i) t.layers.push_back({"Identity", 1024, 0});  // forces chunking
  const std::size_t max_tokens = 128;
  const std::vector<float> mib = token_kind_mib(t, max_tokens);
  const auto kinds = static_cast<std::size_t>(kLayerKindCount);
  ASSERT_EQ(mib.size() % kinds, 0U);
  EXPECT_EQ(mib.size() / kinds, layer_tokens(t, max_tokens).size() / kTokenDim);
  double total = 0, identity = 0;
  for (std::size_t i = 0; i < mib.size(); ++i) {
    total += mib[i];
    if (i % kinds == static_cast<std::size_t>(LayerKind::identity)) identity += mib[i];
  }
  double elements = 0;
  for (const Layer& l : t.layers) elements += static_cast<double>(l.output_elements);
  EXPECT_NEAR(total, elements * 4 / (1024.0 * 1024.0), 1e-3);
  EXPECT_NEAR(identity, 300 * 1024 * 4 / (1024.0 * 1024.0), 1e-4);
  t.precision = "bf16";  // two bytes per value
  const std::vector<float> half = token_kind_mib(t, max_tokens);
  EXPECT_NEAR(half[0] * 2, mib[0], 1e-6);
}

class EveryPredictor : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryPredictor, RoundTripsThroughTheModelFileExactly) {
  const std::vector<Task> tasks = training_set();
  auto predictor = make_predictor(GetParam());
  predictor->fit(tasks, quick_options());
  const ml::ModelFile file = predictor->save();
  EXPECT_EQ(file.meta["domain"], "memory");
  EXPECT_EQ(file.meta["model"], GetParam());
  const auto loaded = load_predictor(ml::decode_model_file(ml::encode_model_file(file), "mem"), "mem");
  const auto before = predictor->predict(tasks);
  const auto after = loaded->predict(tasks);
  ASSERT_EQ(before.size(), after.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(before[i].peak_mem_mib, after[i].peak_mem_mib) << i;
    EXPECT_EQ(before[i].peak_mem_upper_mib, after[i].peak_mem_upper_mib) << i;
  }
}

TEST_P(EveryPredictor, IsDeterministicForASeedAndBoundsItsPeak) {
  const std::vector<Task> tasks = training_set();
  auto a = make_predictor(GetParam());
  auto b = make_predictor(GetParam());
  a->fit(tasks, quick_options(11));
  b->fit(tasks, quick_options(11));
  const auto pa = a->predict(tasks);
  const auto pb = b->predict(tasks);
  for (std::size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pa[i].peak_mem_mib, pb[i].peak_mem_mib) << i;
    EXPECT_GT(pa[i].peak_mem_mib, 0);
    EXPECT_GE(pa[i].peak_mem_upper_mib, pa[i].peak_mem_mib);
  }
}

INSTANTIATE_TEST_SUITE_P(Models, EveryPredictor,
                         ::testing::Values("analytic", "tree:dt", "tree:rf", "tree:adaboost", "tree:xgboost",
                                           "seq:bigru-transformer", "seq:bigru", "seq:transformer"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return n;
                         });

TEST(SeqPredictor, LearnsTheSyntheticStructure) {
  const std::vector<Task> tasks = training_set();
  auto predictor = make_predictor("seq:bigru-transformer");
  TrainOptions o = quick_options();
  o.epochs = 30;
  predictor->fit(tasks, o);
  const std::vector<Task> unseen = test::synthetic_tasks(7, 4);  // includes a seventh family
  const auto predicted = predictor->predict(unseen);
  double ape = 0;
  for (std::size_t i = 0; i < unseen.size(); ++i) {
    ape += std::abs(predicted[i].peak_mem_mib - *unseen[i].peak_mem_mib) / *unseen[i].peak_mem_mib;
  }
  EXPECT_LT(ape / static_cast<double>(unseen.size()), 0.15);
}

TEST(SeqPredictor, ReportsProgressAndHonoursTheStopFlag) {
  const std::vector<Task> tasks = training_set();
  std::atomic<bool> stop{false};
  int epochs_seen = 0;
  TrainOptions o = quick_options();
  o.epochs = 50;
  o.stop = &stop;
  o.on_progress = [&](const TrainProgress& p) {
    epochs_seen = p.epoch;
    EXPECT_EQ(p.epochs, 50);
    if (p.epoch == 2) stop = true;
  };
  auto predictor = make_predictor("seq:bigru");
  predictor->fit(tasks, o);
  EXPECT_EQ(epochs_seen, 2);
  EXPECT_EQ(predictor->predict(tasks).size(), tasks.size());  // the best model so far is kept
}

TEST(SeqPredictor, ReportsTheValidationMapeOfTheKeptEpoch) {
  const std::vector<Task> tasks = training_set();
  std::vector<double> epoch_mapes;
  TrainProgress last;
  TrainOptions o = quick_options();
  o.epochs = 6;
  o.on_progress = [&](const TrainProgress& p) {
    epoch_mapes.push_back(p.val_mape);
    last = p;
  };
  auto predictor = make_predictor("seq:bigru");
  predictor->fit(tasks, o);
  ASSERT_FALSE(epoch_mapes.empty());
  // The kept (best-loss) epoch's MAPE, which the saved model's meta records too.
  EXPECT_NE(std::find(epoch_mapes.begin(), epoch_mapes.end(), last.best_val_mape), epoch_mapes.end());
  EXPECT_DOUBLE_EQ(last.best_val_mape, predictor->save().meta.at("training").at("val_mape").get<double>());
}

TEST_P(EveryPredictor, LoadRejectsANegativeBoundMargin) {
  auto predictor = make_predictor(GetParam());
  predictor->fit(training_set(), quick_options());
  ml::ModelFile file = predictor->save();
  file.meta["bound_log_margin"] = -3;  // would put the "safe" bound below the estimate
  try {
    load_predictor(file, "m.gpuopt");
    ADD_FAILURE() << "accepted a negative margin";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.field(), "bound_log_margin");
  }
}

// Sizes far past what gpuopt trains are refused before torch allocates the network.
TEST(SeqPredictor, LoadRejectsImpossibleNetworkSizesNamingTheField) {
  auto predictor = make_predictor("seq:transformer");
  predictor->fit(training_set(), quick_options());
  const ml::ModelFile good = predictor->save();
  for (const auto& [key, value] : std::vector<std::pair<std::string, double>>{
           {"d_model", 1e9}, {"transformer_layers", 100000}, {"hidden", 0}, {"heads", 3}, {"dropout", 1}}) {
    ml::ModelFile file = good;
    file.meta["network"][key] = value;
    try {
      load_predictor(file, "m.gpuopt");
      ADD_FAILURE() << "accepted " << key << " " << value;
    } catch (const ParseError& e) {
      EXPECT_EQ(e.field(), "network." + key);
    }
  }
}

TEST(SeqPredictor, LoadRejectsATruncatedNetwork) {
  auto predictor = make_predictor("seq:transformer");
  predictor->fit(training_set(), quick_options());
  ml::ModelFile file = predictor->save();
  file.sections["torch"].resize(file.sections["torch"].size() / 2);
  EXPECT_THROW(load_predictor(file, "cut.gpuopt"), ParseError);
  file = predictor->save();
  file.meta["model"] = "seq:bigru";  // network options of another architecture
  EXPECT_THROW(load_predictor(file, "other.gpuopt"), ParseError);
}

}  // namespace
}  // namespace gpuopt::memory
