#include "scored_forecasts_csv.hpp"

#include <fmt/format.h>

#include "gpuopt/csv_field.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/file_write.hpp"
#include "gpuopt/time.hpp"

namespace gpuopt::cli {

ScoredForecastsCsv::ScoredForecastsCsv()
    : text_("trace,gpu,time,model,channel,horizon_s,observed,forecast,persistence\n") {}

void ScoredForecastsCsv::add(std::span<const forecast::Trace> traces, const forecast::ScoredForecast& f) {
  const float* data = f.window->history.values[0].data();
  if (data != last_data_) {
    last_trace_ = nullptr;
    for (const forecast::Trace& trace : traces) {
      for (const forecast::GpuSeries& gpu : trace.gpus) {
        for (const forecast::Segment& segment : gpu.segments) {
          if (segment.values[0].data() != data) continue;
          last_trace_ = &trace;
          last_gpu_ = gpu.device.index;
          last_start_ms_ = segment.start_ms;
          last_step_ = segment.step;
        }
      }
    }
    if (last_trace_ == nullptr) throw Error("internal: a scored forecast is on none of the traces");
    last_data_ = data;
  }
  const EpochMs origin_ms = last_start_ms_ + static_cast<EpochMs>(f.window->end) * last_step_.count();
  fmt::format_to(std::back_inserter(text_), "{},{},{},{},{},{},{},{},{}\n", csv_field(last_trace_->file),
                 last_gpu_, format_iso8601(origin_ms), csv_field(*f.model),
                 forecast::channel_info(f.channel).name, static_cast<double>(f.horizon.count()) / 1000.0,
                 f.observed, f.forecast, f.persistence);
}

void ScoredForecastsCsv::write(const std::string& path) const {
  write_file_atomically(path, text_, "forecasts file");
}

}  // namespace gpuopt::cli
