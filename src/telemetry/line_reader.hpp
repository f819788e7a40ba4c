// Internal: reads a text file in large blocks and hands out its lines as views into the block
// buffer, so a caller can parse millions of lines without a per-line allocation.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gpuopt::csv {

// Longer lines are an error rather than a buffer that grows with the input (an nvidia-smi row
// with every field is under 2 KiB).
inline constexpr std::size_t kMaxLineBytes = std::size_t{4} << 20;

class LineReader {
 public:
  // Opens `path`. Throws ParseError(path, 0, "", reason) when it is missing, a directory or
  // unreadable.
  explicit LineReader(const std::string& path);

  // The next line without its "\n" / "\r\n", valid until the next call; false at end of file.
  // Throws ParseError naming the line when reading fails midway or the line exceeds kMaxLineBytes.
  bool next(std::string_view& line);

  std::size_t line_number() const { return line_number_; }       // 1-based number of the last line
  bool last_line_unterminated() const { return unterminated_; }  // the file ended without "\n"
  std::uint64_t bytes_done() const { return bytes_done_; }
  std::uint64_t file_size() const { return file_size_; }

 private:
  // Moves the unread tail to the front and reads one more block; false at end of file.
  bool refill();

  std::string path_;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // first unread byte in buffer_
  std::size_t end_ = 0;    // one past the last valid byte in buffer_
  bool eof_ = false;
  bool unterminated_ = false;
  std::size_t line_number_ = 0;
  std::uint64_t bytes_done_ = 0;
  std::uint64_t file_size_ = 0;
};

}  // namespace gpuopt::csv
