// POST /api/v1/memory/predict: the answer of `gpuopt mem predict --json` for a task JSON body.
#include <atomic>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "agent_module.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/memory/predictor.hpp"
#include "gpuopt/units.hpp"

namespace gpuopt::server {
namespace {

constexpr const char* kBodyName = "request body";

HttpResponse body_error(const std::string& message, const std::string& field) {
  nlohmann::json body = {{"error", message}};
  if (!field.empty()) body["field"] = field;
  // A parse error may quote the body's invalid UTF-8: replace it instead of throwing.
  return json_response(400, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

double gpu_mem_param(const HttpRequest& request, const memory::Task& task) {
  const auto text = single_param(request, "gpu_mem");
  if (!text) return memory::default_gpu_mem_mib(task);
  double mib = 0;
  try {
    mib = static_cast<double>(parse_size_bytes(*text)) / (1024.0 * 1024.0);
  } catch (const Error& e) {
    throw BadParameter("gpu_mem", e.what());
  }
  if (mib <= 0) throw BadParameter("gpu_mem", "must be a positive size such as 40GiB");
  return mib;
}

class MemoryModule final : public AgentModule {
 public:
  explicit MemoryModule(std::unique_ptr<memory::MemoryPredictor> predictor)
      : predictor_(std::move(predictor)) {}

  void register_routes(Router& router) override {
    router.add("POST", "/api/v1/memory/predict",
               "peak GPU memory of a training task (body: task JSON; ?gpu_mem=40GiB)",
               [this](const HttpRequest& request) { return predict(request); });
  }

  void write_metrics(std::string& out) const override {
    out +=
        "# HELP gpuopt_memory_predictions_total Tasks answered by POST /api/v1/memory/predict.\n"
        "# TYPE gpuopt_memory_predictions_total counter\n";
    out += fmt::format("gpuopt_memory_predictions_total {}\n", predictions_.load());
  }

 private:
  HttpResponse predict(const HttpRequest& request) {
    reject_unknown_params(request, {"gpu_mem"});
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(request.body);
    } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e400
      return body_error(fmt::format("{}: invalid JSON: {}", kBodyName, e.what()), "");
    }
    memory::Task task;
    try {
      task = memory::task_from_json(j, kBodyName, 0);
    } catch (const ParseError& e) {
      return body_error(e.what(), e.field());
    }
    const double gpu_mem_mib = gpu_mem_param(request, task);
    memory::FitAnswer answer;
    {
      // Inference itself is read-only, but one request at a time keeps torch's thread use bounded.
      const std::lock_guard lock(mutex_);
      answer = memory::answer_fit(*predictor_, task, gpu_mem_mib);
    }
    ++predictions_;
    return json_response(200, memory::fit_answer_json(answer, task, gpu_mem_mib, predictor_->name()).dump());
  }

  std::unique_ptr<memory::MemoryPredictor> predictor_;
  std::mutex mutex_;
  std::atomic<std::uint64_t> predictions_{0};
};

}  // namespace

std::unique_ptr<AgentModule> make_memory_module(const AgentContext& context) {
  const std::string& file = context.options.memory_model_file;
  return std::make_unique<MemoryModule>(file.empty() ? memory::load_default_predictor()
                                                     : memory::load_predictor_file(file));
}

}  // namespace gpuopt::server
