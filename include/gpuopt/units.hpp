// Parsing and printing of quantities given by people: durations ("100ms", "10m"),
// power ("250W"), clocks ("1400MHz") and sizes ("40GiB"). Every parser throws
// UsageError naming the offending text; none accepts negative values, durations over 100 years or
// sizes over 1 EiB.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace gpuopt {

// "250ms", "1.5s", "10m", "2h", "7d", or a bare number of seconds. Units: ms, s, m, h, d.
// A duration that is not a whole number of milliseconds ("1.5ms", "0.0001s") is refused.
std::chrono::milliseconds parse_duration(std::string_view text);

// Shortest exact spelling: 100ms, 1s, 90s, 10m, 2h, 7d.
std::string format_duration(std::chrono::milliseconds d);

// "250W", "250 W", "250" (W), "250000mW".
double parse_power_w(std::string_view text);

// "1400MHz", "1.4GHz", "1400" (MHz).
double parse_clock_mhz(std::string_view text);

// "40GiB", "40960MiB", "512KiB", "1024" (bytes); also GB/MB (powers of 1000).
std::uint64_t parse_size_bytes(std::string_view text);

// Readings no GPU gives, shared by every reader of measured data (telemetry CSVs, power sweeps):
// a value past them is another unit (mW under W) or garbage. The largest boards draw ~1.5 kW.
inline constexpr double kMaxGpuPowerW = 10'000;
inline constexpr double kMaxGpuClockMhz = 20'000;

// "127.0.0.1:9400" -> host + port; a bare ":9400" means 127.0.0.1.
struct HostPort {
  std::string host;
  int port = 0;
};
HostPort parse_host_port(std::string_view text);

}  // namespace gpuopt
