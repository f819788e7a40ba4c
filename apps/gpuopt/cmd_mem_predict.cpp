// `gpuopt mem predict`: peak memory, safe bound, fits or not, and the largest batch size that fits.
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/memory/importers.hpp"
#include "gpuopt/units.hpp"
#include "mem_commands.hpp"

namespace gpuopt::cli {
namespace {

struct PredictArgs {
  std::string task_file;
  std::string onnx;
  std::string torchsummary;
  std::int64_t batch_size = 0;
  std::string gpu_mem;
  std::string model_file;
  bool json = false;
};

std::vector<memory::Task> input_tasks(const PredictArgs& args) {
  const int sources = !args.task_file.empty() + !args.onnx.empty() + !args.torchsummary.empty();
  if (sources != 1) throw UsageError("give exactly one of --task, --onnx and --torchsummary");
  if (!args.task_file.empty()) {
    std::vector<memory::Task> tasks = read_task_files({args.task_file});
    if (args.batch_size > 0) {
      for (memory::Task& t : tasks) t.batch_size = args.batch_size;
    }
    return tasks;
  }
  if (args.batch_size <= 0) {
    throw UsageError(
        fmt::format("--batch-size is required with {}", args.onnx.empty() ? "--torchsummary" : "--onnx"));
  }
  if (!args.onnx.empty()) return {memory::import_onnx(args.onnx, args.batch_size)};
  return {memory::import_torchsummary(args.torchsummary, args.batch_size)};
}

// --gpu-mem in MiB; 0 when not given (each task's own or the default then).
double gpu_mem_override_mib(const PredictArgs& args) {
  if (args.gpu_mem.empty()) return 0;
  try {
    const double mib = static_cast<double>(parse_size_bytes(args.gpu_mem)) / (1024.0 * 1024.0);
    if (mib > 0) return mib;
  } catch (const Error&) {
  }
  throw UsageError(
      fmt::format("--gpu-mem '{}': expected a positive size such as 40GiB or 81920MiB", args.gpu_mem));
}

void print_answer(const memory::Task& task, const memory::FitAnswer& a, double gpu_mib) {
  fmt::print(
      "{} (batch size {}): peak {:.0f} MiB, safe bound {:.0f} MiB -> {} a {:.0f} MiB GPU; largest batch "
      "size that fits: {}\n",
      task.id, task.batch_size, a.prediction.peak_mem_mib, a.prediction.peak_mem_upper_mib,
      a.fits ? "fits" : "does NOT fit", gpu_mib,
      a.max_batch_size == 0 ? std::string("none")
      : a.max_batch_size >= memory::kMaxBatchLimit
          ? fmt::format("at least {} (the search stops there)", a.max_batch_size)
          : fmt::format("{}", a.max_batch_size));
}

void predict(const PredictArgs& args, const GlobalOptions& global) {
  const double gpu_override_mib = gpu_mem_override_mib(args);
  const std::vector<memory::Task> tasks = input_tasks(args);
  const auto predictor = open_predictor(args.model_file);
  if (!global.quiet && !args.json) {
    std::fprintf(stderr, "gpuopt: model %s (%s)\n", predictor->name().c_str(),
                 args.model_file.empty() ? "built in" : args.model_file.c_str());
  }
  for (const memory::Task& task : tasks) {
    const double gpu_mib = gpu_override_mib > 0 ? gpu_override_mib : memory::default_gpu_mem_mib(task);
    const memory::FitAnswer answer = memory::answer_fit(*predictor, task, gpu_mib);
    if (args.json) {
      fmt::print("{}\n", memory::fit_answer_json(answer, task, gpu_mib, predictor->name()).dump());
    } else {
      print_answer(task, answer, gpu_mib);
    }
  }
}

}  // namespace

void register_mem_predict(CLI::App& mem, const GlobalOptions& global) {
  auto args = std::make_shared<PredictArgs>();
  CLI::App* cmd = mem.add_subcommand("predict",
                                     "Predict a training task's peak GPU memory, whether it fits a GPU and "
                                     "the largest batch size that fits");
  cmd->fallthrough();
  cmd->footer(
      "\nThe task comes from a task JSON/JSONL file (schema v1; one answer per task), an ONNX model or\n"
      "a torchsummary table. 'Fits' and the largest batch size use the safe upper bound (calibrated\n"
      "for 95 % coverage). Without --model-file the model shipped with gpuopt is used.\n"
      "With --json, one object per task: peak_mem_mib, peak_mem_upper_mib, fits, max_batch_size, ...\n\n"
      "Examples:\n"
      "  gpuopt mem predict --task resnet50.json\n"
      "  gpuopt mem predict --onnx model.onnx --batch-size 64 --gpu-mem 80GiB\n"
      "  gpuopt mem predict --torchsummary summary.txt --batch-size 32 --json\n"
      "  tools/gpuopt-task-from-torch --torchvision resnet18 --batch-size 32 --out t.json && "
      "gpuopt mem predict --task t.json\n");
  cmd->add_option("--task", args->task_file, "Task JSON or JSONL file")->type_name("FILE");
  cmd->add_option("--onnx", args->onnx, "ONNX model file")->type_name("FILE");
  cmd->add_option("--torchsummary", args->torchsummary, "torchsummary output (text)")->type_name("FILE");
  cmd->add_option("--batch-size", args->batch_size,
                  "Batch size (required with --onnx/--torchsummary; overrides --task's)")
      ->check(CLI::Range(std::int64_t{1}, memory::kMaxBatchSize));
  cmd->add_option("--gpu-mem", args->gpu_mem,
                  "GPU memory, e.g. 40GiB (default: the task's gpu_mem_mib, else 40GiB)")
      ->type_name("SIZE");
  cmd->add_option("--model-file", args->model_file,
                  "Memory model file (default: the one shipped with gpuopt)")
      ->type_name("FILE");
  cmd->add_flag("--json", args->json, "Print JSON (one object per task)");
  cmd->callback([args, &global] { predict(*args, global); });
}

}  // namespace gpuopt::cli
