// write_file_atomically (file_write.hpp).
#include "gpuopt/file_write.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "gpuopt/error.hpp"

namespace gpuopt {
namespace {

[[noreturn]] void throw_write(std::string_view what, const std::string& path, int error) {
  throw Error(fmt::format("cannot write {} {}: {}", what, path, std::strerror(error)));
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view bytes, std::string_view what) {
  // Same directory as the target, so the rename is atomic; the pid keeps concurrent writers apart.
  const std::string tmp = fmt::format("{}.tmp-{}", path, ::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw_write(what, path, errno);
  std::size_t done = 0;
  int error = 0;
  while (done < bytes.size() && error == 0) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) error = n < 0 ? errno : EIO;
    else done += static_cast<std::size_t>(n);
  }
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) error = errno;
  if (error != 0) {
    ::unlink(tmp.c_str());
    throw_write(what, path, error);
  }
}

}  // namespace gpuopt
