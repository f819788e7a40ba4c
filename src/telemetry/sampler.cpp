#include "gpuopt/sampler.hpp"

#include <time.h>

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/time.hpp"

namespace gpuopt {
namespace {

using Clock = std::chrono::steady_clock;

// How often a sleeping sampler looks at the stop flag: bounds how late a stop is noticed.
constexpr std::chrono::milliseconds kStopPollSlice{10};

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void sleep_until(Clock::time_point until, const std::atomic<bool>& stop) {
  while (!stop.load()) {
    const auto now = Clock::now();
    if (now >= until) return;
    std::this_thread::sleep_for(std::min<Clock::duration>(until - now, kStopPollSlice));
  }
}

void flush_all(std::span<SampleSink* const> sinks) {
  for (SampleSink* sink : sinks) sink->flush();
}

// The read error is the one worth reporting, so a sink failing to flush now is not.
void flush_after_failure(std::span<SampleSink* const> sinks) noexcept {
  for (SampleSink* sink : sinks) {
    try {
      sink->flush();
    } catch (...) {
    }
  }
}

// One read of the source handed to every sink; throws what source.read() throws.
void run_round(TelemetrySource& source, std::span<SampleSink* const> sinks, SamplerStats& stats) {
  const double cpu_before_s = thread_cpu_seconds();
  const std::vector<Sample> samples = source.read(now_ms());
  stats.read_cpu_seconds += thread_cpu_seconds() - cpu_before_s;
  ++stats.rounds;
  stats.samples += samples.size();
  for (SampleSink* sink : sinks) sink->on_samples(samples);
  for (const std::string& message : source.last_errors()) {
    ++stats.errors;
    for (SampleSink* sink : sinks) sink->on_error(message);
  }
}

// The tick after `tick`; when the round ran past it, the missed ticks are skipped (no burst of
// catch-up reads, no drift) and the overrun is counted.
Clock::time_point next_tick(Clock::time_point tick, std::chrono::milliseconds interval, SamplerStats& stats) {
  tick += interval;
  const auto now = Clock::now();
  if (now > tick) {
    ++stats.overruns;
    tick += ((now - tick) / interval + 1) * interval;
  }
  return tick;
}

}  // namespace

SamplerStats run_sampler(TelemetrySource& source, std::span<SampleSink* const> sinks,
                         const SamplerOptions& options, const std::atomic<bool>& stop) {
  if (options.interval <= std::chrono::milliseconds::zero()) {
    throw UsageError(fmt::format("sampling interval must be positive, got {} ms", options.interval.count()));
  }
  for (SampleSink* sink : sinks) sink->on_start(source.info(), source.devices());

  SamplerStats stats;
  const auto start = Clock::now();
  std::optional<Clock::time_point> deadline;
  if (options.duration) deadline = start + *options.duration;
  auto tick = start;
  auto last_flush = start;
  while (!stop.load() && !source.finished() && !(deadline && tick >= *deadline)) {
    try {
      run_round(source, sinks, stats);
    } catch (...) {
      flush_after_failure(sinks);
      throw;
    }
    if (tick - last_flush >= options.flush_every) {
      flush_all(sinks);
      last_flush = tick;
    }
    tick = next_tick(tick, options.interval, stats);
    sleep_until(deadline ? std::min(tick, *deadline) : tick, stop);
  }
  flush_all(sinks);
  return stats;
}

}  // namespace gpuopt
