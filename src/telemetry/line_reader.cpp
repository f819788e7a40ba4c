#include "line_reader.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "gpuopt/error.hpp"

namespace gpuopt::csv {
namespace {

constexpr std::size_t kBlockBytes = std::size_t{1} << 20;

std::string_view without_cr(const char* start, std::size_t length) {
  if (length > 0 && start[length - 1] == '\r') --length;
  return {start, length};
}

}  // namespace

LineReader::LineReader(const std::string& path) : path_(path), file_(nullptr, &std::fclose) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ParseError(path, 0, "", "is a directory, not a CSV file");
  file_.reset(std::fopen(path.c_str(), "rb"));
  if (!file_)
    throw ParseError(path, 0, "", fmt::format("cannot open: {}", std::generic_category().message(errno)));
  const auto size = std::filesystem::file_size(path, ec);
  file_size_ = ec ? 0 : size;
  buffer_.resize(kBlockBytes);
}

bool LineReader::refill() {
  if (eof_) return false;
  const std::size_t tail = end_ - begin_;
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, tail);
    begin_ = 0;
    end_ = tail;
  }
  // A single line longer than the buffer: grow it rather than split the line.
  if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  const std::size_t got = std::fread(buffer_.data() + end_, 1, buffer_.size() - end_, file_.get());
  if (got == 0) {
    if (std::ferror(file_.get())) {
      throw ParseError(path_, line_number_ + 1, "",
                       fmt::format("read error: {}", std::generic_category().message(errno)));
    }
    eof_ = true;
    return false;
  }
  end_ += got;
  bytes_done_ += got;
  return true;
}

bool LineReader::next(std::string_view& line) {
  for (;;) {
    const char* start = buffer_.data() + begin_;
    const void* newline = std::memchr(start, '\n', end_ - begin_);
    const std::size_t pending =
        newline ? static_cast<std::size_t>(static_cast<const char*>(newline) - start) : end_ - begin_;
    if (pending > kMaxLineBytes) {
      throw ParseError(path_, line_number_ + 1, "",
                       fmt::format("line longer than {} MiB: not a CSV log (binary data?)", kMaxLineBytes >> 20));
    }
    if (newline) {
      const std::size_t length = pending;
      begin_ += length + 1;
      line = without_cr(start, length);
      ++line_number_;
      return true;
    }
    if (!refill()) break;
  }
  if (begin_ == end_) return false;
  line = without_cr(buffer_.data() + begin_, end_ - begin_);
  begin_ = end_;
  ++line_number_;
  unterminated_ = true;
  return true;
}

}  // namespace gpuopt::csv
