// Writing a whole output file so that a crash, a full disk or a failed write never leaves a
// truncated file behind (or destroys the previous one).
#pragma once

#include <string>
#include <string_view>

namespace gpuopt {

// Writes `bytes` to a temporary file beside `path`, fsyncs it and renames it over `path` (atomic on
// POSIX). On failure the temporary file is removed, `path` is left as it was, and Error reads
// "cannot write <what> <path>: <reason>" (what: "model file", "predictions file", ...).
void write_file_atomically(const std::string& path, std::string_view bytes, std::string_view what);

}  // namespace gpuopt
