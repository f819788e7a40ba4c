#include "gpuopt/units.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "gpuopt/error.hpp"

namespace gpuopt {
namespace {

struct NumberAndUnit {
  double number = 0;
  std::string_view unit;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "1.5 GiB" -> {1.5, "GiB"}. Throws UsageError for a missing, malformed or negative number.
NumberAndUnit split(std::string_view text, std::string_view what) {
  const std::string_view s = trim(text);
  double number = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), number);
  if (ec != std::errc() || end == s.data() || !std::isfinite(number)) {
    throw UsageError(fmt::format("invalid {} '{}': expected a number with a unit", what, text));
  }
  if (number < 0) throw UsageError(fmt::format("invalid {} '{}': must not be negative", what, text));
  return {number, trim(std::string_view(end, s.data() + s.size() - end))};
}

template <std::size_t N>
double scaled(std::string_view text, std::string_view what,
              const std::pair<std::string_view, double> (&units)[N], std::string_view valid) {
  const auto [number, unit] = split(text, what);
  for (const auto& [name, factor] : units) {
    if (unit == name) return number * factor;
  }
  throw UsageError(fmt::format("invalid {} '{}': unknown unit '{}' (use {})", what, text, unit, valid));
}

// Past these a value is a typo, and llround would overflow.
constexpr double kMaxDurationMs = 100 * 365.25 * 86400e3;
constexpr double kMaxSizeBytes = 1152921504606846976.0;  // 2^60

}  // namespace

std::chrono::milliseconds parse_duration(std::string_view text) {
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"", 1000.0}, {"ms", 1.0}, {"s", 1000.0}, {"m", 60e3}, {"min", 60e3}, {"h", 3600e3}, {"d", 86400e3}};
  const double ms = scaled(text, "duration", kUnits, "ms, s, m, h or d");
  if (ms > kMaxDurationMs)
    throw UsageError(fmt::format("invalid duration '{}': longer than 100 years", text));
  if (std::abs(ms - std::round(ms)) > 1e-6 * std::max(1.0, ms)) {
    throw UsageError(fmt::format("invalid duration '{}': durations are whole milliseconds", text));
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
}

std::string format_duration(std::chrono::milliseconds d) {
  const std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  if (ms % 86400000 == 0) return fmt::format("{}d", ms / 86400000);
  if (ms % 3600000 == 0) return fmt::format("{}h", ms / 3600000);
  if (ms % 60000 == 0) return fmt::format("{}m", ms / 60000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

double parse_power_w(std::string_view text) {
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"", 1.0}, {"W", 1.0}, {"mW", 1e-3}, {"kW", 1e3}};
  return scaled(text, "power", kUnits, "W, mW or kW");
}

double parse_clock_mhz(std::string_view text) {
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"", 1.0}, {"MHz", 1.0}, {"GHz", 1e3}, {"kHz", 1e-3}};
  return scaled(text, "clock", kUnits, "MHz or GHz");
}

std::uint64_t parse_size_bytes(std::string_view text) {
  static constexpr std::pair<std::string_view, double> kUnits[] = {{"", 1.0},
                                                                   {"B", 1.0},
                                                                   {"KiB", 1024.0},
                                                                   {"MiB", 1048576.0},
                                                                   {"GiB", 1073741824.0},
                                                                   {"TiB", 1099511627776.0},
                                                                   {"KB", 1e3},
                                                                   {"kB", 1e3},
                                                                   {"MB", 1e6},
                                                                   {"GB", 1e9},
                                                                   {"TB", 1e12}};
  const double bytes = scaled(text, "size", kUnits, "B, KiB, MiB, GiB, TiB, KB, MB, GB or TB");
  if (bytes > kMaxSizeBytes) throw UsageError(fmt::format("invalid size '{}': larger than 1 EiB", text));
  return static_cast<std::uint64_t>(std::llround(bytes));
}

HostPort parse_host_port(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    throw UsageError(fmt::format("invalid address '{}': expected HOST:PORT, e.g. 127.0.0.1:9400", text));
  }
  HostPort hp;
  hp.host = std::string(text.substr(0, colon));
  if (hp.host.empty()) hp.host = "127.0.0.1";
  if (hp.host.size() > 2 && hp.host.front() == '[' && hp.host.back() == ']') {
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  }
  const std::string_view port = text.substr(colon + 1);
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), hp.port);
  if (ec != std::errc() || end != port.data() + port.size() || hp.port < 0 || hp.port > 65535) {
    throw UsageError(fmt::format("invalid port in '{}': expected 0..65535", text));
  }
  return hp;
}

}  // namespace gpuopt
