#include "gpuopt/file_read.hpp"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

#include "gpuopt/error.hpp"

namespace gpuopt {

std::string read_file_capped(const std::string& path, std::uint64_t max_bytes, std::string_view what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ParseError(path, 0, "", fmt::format("is a directory, not {}", what));
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw ParseError(path, 0, "", fmt::format("cannot open: {}", std::generic_category().message(errno)));
  std::string bytes;
  char chunk[1 << 16];
  while (in) {
    in.read(chunk, sizeof chunk);
    bytes.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (bytes.size() > max_bytes) {
      throw ParseError(path, 0, "", fmt::format("larger than {} MiB: not {}?", max_bytes / kMiB, what));
    }
  }
  if (in.bad()) throw ParseError(path, 0, "", "read error");
  return bytes;
}

}  // namespace gpuopt
