// The memory predictor's transfer-learning curve of issue 5 (bench/memory_transfer.sh).
// seq:bigru-transformer is pretrained on the generated MLP and CNN sets; the timm families are split
// (seeded) into a fixed held-out test set and a pool; for k = 0, 1, 2, 5, 10 and all pool families,
// the pretrained model is fine-tuned on those k families (nothing frozen, or the encoder frozen) and
// compared with the same model trained from scratch on the same families. Every model is scored on
// the held-out families (status ok, quality clean). k = 0 is the pretrained model as is, and the
// analytic estimate stands in for "from scratch". Small k are averaged over several seeded draws.
// Usage: bench_memory_transfer   Reads $GPUOPT_DATA_DIR/memory.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/memory/evaluation.hpp"
#include "gpuopt/memory/predictor.hpp"
#include "gpuopt/memory/task.hpp"

namespace {

using namespace gpuopt;
namespace fs = std::filesystem;

constexpr const char* kModel = "seq:bigru-transformer";
constexpr std::uint64_t kSeed = 1;
constexpr double kHeldOutFraction = 0.3;
constexpr int kPretrainEpochs = 20;  // a small budget: the whole bench stays under ~15 min on 2 cores
constexpr int kTrainEpochs = 12;     // fine-tuning and training from scratch alike
constexpr int kSmallKDraws = 3;      // draws of the k families for k <= 5
constexpr int kAllFamilies = -1;
const std::vector<int> kFamilyCounts = {0, 1, 2, 5, 10, kAllFamilies};

fs::path data_dir() {
  const char* env = std::getenv("GPUOPT_DATA_DIR");
  return env && *env ? fs::path(env) : fs::path("../shared/data");
}

std::vector<memory::Task> read_memory_set(const std::string& file) {
  return memory::read_tasks((data_dir() / "memory" / file).string());
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The timm set split by family: held-out test rows and the pool's families (seeded order).
struct TimmSplit {
  std::vector<memory::Task> test;
  std::vector<std::string> pool_families;
  std::map<std::string, std::vector<memory::Task>> trainable_by_family;  // pool only
};

TimmSplit split_timm(const std::vector<memory::Task>& timm) {
  const memory::RowSelection selection;
  std::set<std::string> scored_families;
  for (const auto& t : timm) {
    if (memory::is_scored(t, selection)) scored_families.insert(t.family);
  }
  std::vector<std::string> families(scored_families.begin(), scored_families.end());
  std::mt19937_64 rng(kSeed);
  std::shuffle(families.begin(), families.end(), rng);
  const auto held_out = static_cast<std::size_t>(kHeldOutFraction * static_cast<double>(families.size()));
  const std::set<std::string> test_families(families.begin(), families.begin() + held_out);
  TimmSplit split;
  split.pool_families.assign(families.begin() + held_out, families.end());
  for (const auto& t : timm) {
    if (test_families.contains(t.family)) {
      split.test.push_back(t);
    } else if (memory::is_trainable(t, selection)) {
      split.trainable_by_family[t.family].push_back(t);
    }
  }
  return split;
}

// The training rows of k pool families drawn with `draw`'s seed (all of them for kAllFamilies).
std::vector<memory::Task> draw_families(const TimmSplit& split, int k, int draw) {
  std::vector<std::string> families = split.pool_families;
  std::mt19937_64 rng(kSeed + 100 + static_cast<std::uint64_t>(draw));
  std::shuffle(families.begin(), families.end(), rng);
  const std::size_t count = k == kAllFamilies ? families.size() : static_cast<std::size_t>(k);
  std::vector<memory::Task> rows;
  for (std::size_t i = 0; i < count && i < families.size(); ++i) {
    const auto it = split.trainable_by_family.find(families[i]);
    if (it != split.trainable_by_family.end()) rows.insert(rows.end(), it->second.begin(), it->second.end());
  }
  return rows;
}

struct Variant {
  std::string label;  // "fine-tune (none frozen)", ...
  bool fine_tune = false;
  memory::FreezePolicy freeze = memory::FreezePolicy::none;
};

const std::vector<Variant> kVariants = {{"fine-tune, nothing frozen", true, memory::FreezePolicy::none},
                                        {"fine-tune, encoder frozen", true, memory::FreezePolicy::encoder},
                                        {"from scratch", false, memory::FreezePolicy::none}};

// Held-out scores of one variant at one k, over the draws that had enough rows to train.
struct Cell {
  std::vector<ml::RegressionScores> draws;
  int skipped = 0;  // draws with fewer than 10 measured rows
  double mean(double ml::RegressionScores::*field) const {
    double sum = 0;
    for (const auto& s : draws) sum += s.*field;
    return draws.empty() ? 0 : sum / static_cast<double>(draws.size());
  }
};

ml::RegressionScores train_and_score(const Variant& variant, const std::vector<memory::Task>& rows,
                                     const ml::ModelFile& pretrained, const std::vector<memory::Task>& test,
                                     std::uint64_t seed) {
  auto predictor = memory::make_predictor(kModel);
  memory::TrainOptions options;
  options.seed = seed;
  options.epochs = kTrainEpochs;
  if (variant.fine_tune) {
    options.init = &pretrained;
    options.init_source = "pretrained on mlp+cnn";
    options.freeze = variant.freeze;
  }
  predictor->fit(rows, options);
  return memory::evaluate_predictor(*predictor, test, memory::RowSelection{}).summary.scores;
}

std::size_t family_count(const std::vector<memory::Task>& tasks) {
  std::set<std::string> families;
  for (const auto& t : tasks) families.insert(t.family);
  return families.size();
}

std::string k_label(int k) { return k == kAllFamilies ? "all" : std::to_string(k); }

void print_row(const std::string& k, std::size_t families, const std::string& label, const Cell& cell) {
  if (cell.draws.empty()) {
    fmt::print("{:>4} {:>9} {:<28} {:>8} {:>10} {:>7}  (no draw had 10 measured rows)\n", k, families, label,
               "-", "-", "-");
    return;
  }
  double lo = 1e9, hi = 0;
  for (const auto& s : cell.draws) {
    lo = std::min(lo, s.mape);
    hi = std::max(hi, s.mape);
  }
  const std::string spread = cell.draws.size() > 1 ? fmt::format("  MAPE {:.1f}-{:.1f} % over {} draws",
                                                                 100 * lo, 100 * hi, cell.draws.size())
                                                   : "";
  fmt::print("{:>4} {:>9} {:<28} {:>7.1f}% {:>10.0f} {:>7.3f}{}{}\n", k, families, label,
             100 * cell.mean(&ml::RegressionScores::mape), cell.mean(&ml::RegressionScores::rmse),
             cell.mean(&ml::RegressionScores::r2), spread,
             cell.skipped ? fmt::format(" ({} draws skipped: < 10 rows)", cell.skipped) : "");
}

// The largest k at which the best fine-tuned variant still beats training from scratch (MAPE).
std::string conclusion(const std::map<int, std::vector<Cell>>& cells) {
  std::vector<std::string> wins, losses;
  for (int k : kFamilyCounts) {
    const auto& row = cells.at(k);
    if (row[2].draws.empty() || (row[0].draws.empty() && row[1].draws.empty())) continue;
    double best = 1e9;
    for (int v = 0; v < 2; ++v) {
      if (!row[v].draws.empty()) best = std::min(best, row[v].mean(&ml::RegressionScores::mape));
    }
    const double scratch = row[2].mean(&ml::RegressionScores::mape);
    (best < scratch ? wins : losses)
        .push_back(fmt::format("k={} ({:.1f} vs {:.1f} %)", k_label(k), 100 * best, 100 * scratch));
  }
  return fmt::format(
      "pretraining on mlp+cnn helps (held-out MAPE, best fine-tune vs scratch) at: {}; "
      "does not at: {}",
      wins.empty() ? "none" : fmt::format("{}", fmt::join(wins, ", ")),
      losses.empty() ? "none" : fmt::format("{}", fmt::join(losses, ", ")));
}

void run() {
  const auto start = std::chrono::steady_clock::now();
  const memory::RowSelection selection;
  std::vector<memory::Task> pretrain_rows;
  for (const char* file : {"mlp_a100.jsonl", "cnn_a100.jsonl"}) {
    for (auto& t : read_memory_set(file)) {
      if (memory::is_trainable(t, selection)) pretrain_rows.push_back(std::move(t));
    }
  }
  const TimmSplit split = split_timm(read_memory_set("timm_a100.jsonl"));
  fmt::print(stderr, "pretraining {} on {} mlp+cnn rows ...\n", kModel, pretrain_rows.size());
  auto pretrained = memory::make_predictor(kModel);
  memory::TrainOptions pretrain_options;
  pretrain_options.seed = kSeed;
  pretrain_options.epochs = kPretrainEpochs;
  pretrained->fit(pretrain_rows, pretrain_options);
  const ml::ModelFile pretrained_file = pretrained->save();
  fmt::print(stderr, "pretrained in {:.0f} s\n", seconds_since(start));

  std::map<int, std::vector<Cell>> cells;
  for (int k : kFamilyCounts) {
    std::vector<Cell>& row = cells[k];
    row.resize(kVariants.size());
    if (k == 0) {
      row[0].draws.push_back(memory::evaluate_predictor(*pretrained, split.test, selection).summary.scores);
      row[1] = row[0];
      auto analytic = memory::make_predictor("analytic");
      analytic->fit(pretrain_rows, memory::TrainOptions{});  // calibrates only the bound
      row[2].draws.push_back(memory::evaluate_predictor(*analytic, split.test, selection).summary.scores);
      continue;
    }
    const int draws = k != kAllFamilies && k <= 5 ? kSmallKDraws : 1;
    for (int draw = 0; draw < draws; ++draw) {
      const std::vector<memory::Task> rows = draw_families(split, k, draw);
      for (std::size_t v = 0; v < kVariants.size(); ++v) {
        fmt::print(stderr, "[{:.0f} s] k={} draw {} ({} rows): {}\n", seconds_since(start), k_label(k), draw,
                   rows.size(), kVariants[v].label);
        try {
          row[v].draws.push_back(train_and_score(kVariants[v], rows, pretrained_file, split.test,
                                                 kSeed + static_cast<std::uint64_t>(draw)));
        } catch (const UsageError&) {  // too few measured rows in this draw
          ++row[v].skipped;
        }
      }
    }
  }

  fmt::print(
      "== memory transfer learning: {} pretrained on {} mlp+cnn rows ({} epochs), then fine-tuned or\n"
      "   trained from scratch on k of {} pool timm families ({} epochs max); scored on {} held-out timm\n"
      "   families ({} clean ok rows)\n",
      kModel, pretrain_rows.size(), kPretrainEpochs, split.pool_families.size(), kTrainEpochs,
      family_count(split.test), cells[0][0].draws.front().n);
  fmt::print("{:>4} {:>9} {:<28} {:>8} {:>10} {:>7}\n", "k", "families", "model", "MAPE", "RMSE MiB", "R2");
  for (int k : kFamilyCounts) {
    const std::size_t families = k == kAllFamilies ? split.pool_families.size() : static_cast<std::size_t>(k);
    for (std::size_t v = 0; v < kVariants.size(); ++v) {
      const std::string label =
          k == 0 ? (v == 2 ? "analytic estimate" : "pretrained as is") : kVariants[v].label;
      if (k == 0 && v == 1) continue;  // the same model as v == 0
      print_row(k_label(k), families, label, cells[k][v]);
    }
  }
  fmt::print("conclusion: {}\n", conclusion(cells));
  fmt::print("total wall time {:.0f} s\n", seconds_since(start));
}

}  // namespace

int main() {
  try {
    run();
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_memory_transfer: {}\n", e.what());
    return 1;
  }
  return 0;
}
