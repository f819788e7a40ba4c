// Reading a whole input file with a size cap, so an endless or huge input (/dev/zero, a FIFO, a
// mistaken multi-GB file) fails with a clear error instead of eating memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gpuopt {

inline constexpr std::uint64_t kMiB = 1024 * 1024;

// The bytes of `path`, read in chunks. Throws ParseError(path, 0, "", reason) for a directory, a file
// that cannot be opened or read, or one longer than `max_bytes` ("larger than N MiB: not <what>?";
// `what` with its article: "a task file").
std::string read_file_capped(const std::string& path, std::uint64_t max_bytes, std::string_view what);

}  // namespace gpuopt
