#include <charconv>
#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/time.hpp"
#include "gpuopt/units.hpp"

namespace gpuopt {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool read_int(std::string_view s, std::size_t pos, std::size_t len, int& out) {
  if (pos + len > s.size()) return false;
  const char* first = s.data() + pos;
  const auto [end, ec] = std::from_chars(first, first + len, out);
  return ec == std::errc() && end == first + len;
}

}  // namespace

EpochMs now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string format_iso8601(EpochMs t) {
  using namespace std::chrono;
  const sys_time<milliseconds> tp{milliseconds(t)};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss hms{tp - day};
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                                hms.hours().count(), hms.minutes().count(), hms.seconds().count());
  if (const auto ms = hms.subseconds().count(); ms != 0) out += fmt::format(".{:03}", ms);
  return out + "Z";
}

std::optional<EpochMs> parse_timestamp(std::string_view text) {
  // YYYY?MM?DD?hh:mm:ss[.fff][Z] with '/' or '-' between date parts, ' ' or 'T' before the time.
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (!text.empty() && text.back() == 'Z') text.remove_suffix(1);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (text.size() < 19 || !read_int(text, 0, 4, y) || !read_int(text, 5, 2, mo) || !read_int(text, 8, 2, d) ||
      !read_int(text, 11, 2, h) || !read_int(text, 14, 2, mi) || !read_int(text, 17, 2, s)) {
    return std::nullopt;
  }
  const char sep1 = text[4];
  if ((sep1 != '/' && sep1 != '-') || text[7] != sep1 || (text[10] != ' ' && text[10] != 'T') ||
      text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  int ms = 0;
  if (text.size() > 19) {
    if (text[19] != '.' || text.size() == 20) return std::nullopt;
    const std::string_view frac = text.substr(20);
    int value = 0;
    if (!read_int(frac, 0, frac.size(), value) || frac.size() > 9) return std::nullopt;
    std::size_t digits = frac.size();
    for (; digits < 3; ++digits) value *= 10;
    for (; digits > 3; --digits) value /= 10;
    ms = value;
  }
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 24 + h) * 60 + mi) * 60000LL + s * 1000LL + ms;
}

EpochMs parse_time_arg(std::string_view text, EpochMs now) {
  if (text == "now") return now;
  if (!text.empty() && text.front() == '-') return now - parse_duration(text.substr(1)).count();
  if (auto t = parse_timestamp(text)) return *t;
  std::int64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc() && end == text.data() + text.size() && number >= 0) {
    // Ten-digit numbers are seconds (until 2286); longer ones are milliseconds.
    return number < 100000000000LL ? number * 1000 : number;
  }
  throw UsageError(fmt::format(
      "invalid time '{}': use an ISO time (2025-07-27T00:22:27Z), epoch seconds, 'now' or '-1h'", text));
}

}  // namespace gpuopt
