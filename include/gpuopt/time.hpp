// Wall-clock time as Unix epoch milliseconds (UTC), the one time type of the store and the API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gpuopt {

using EpochMs = std::int64_t;

// Current wall-clock time.
EpochMs now_ms();

// "2025-07-27T00:22:27.858Z" (milliseconds shown only when non-zero).
std::string format_iso8601(EpochMs t);

// nvidia-smi's "2025/07/27 00:22:27.858" (also without milliseconds, and ISO
// "2025-07-27 00:22:27"/"2025-07-27T00:22:27Z"). nvidia-smi writes local time without a
// zone: gpuopt reads it as UTC. Returns nullopt when the text is not such a timestamp.
std::optional<EpochMs> parse_timestamp(std::string_view text);

// For --from/--to: an absolute timestamp (as parse_timestamp), epoch seconds/milliseconds
// ("1753575747", "1753575747858"), "now", or a time relative to `now` ("-1h", "-15m").
// Throws UsageError naming the text.
EpochMs parse_time_arg(std::string_view text, EpochMs now);

}  // namespace gpuopt
