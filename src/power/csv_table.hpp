// A small reader of the comma-separated tables of the power data sets: a header row, then
// rows of fields (double-quoted fields may contain commas). Internal to the power library.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gpuopt::power {

// Splits one line; quotes around a field are removed. Throws nothing.
std::vector<std::string> split_csv_line(std::string_view line);

// Strict number parsing for data files: throws ParseError(file, line, field, ...) for text
// that is not a finite number, or (positive) not > 0.
double parse_number(const std::string& text, const std::string& file, std::size_t line,
                    const std::string& field);
double parse_positive(const std::string& text, const std::string& file, std::size_t line,
                      const std::string& field);

// The text of a power or clock curve file, read whole up to 256 MiB (the shared files are under
// 1 MB; /dev/zero given as a file must not be read forever). ParseError when it cannot be read.
std::string read_power_file(const std::string& path);

class CsvTable {
 public:
  // Reads the whole file. Throws ParseError when it cannot be opened or has no header.
  explicit CsvTable(const std::string& path);

  struct Row {
    std::size_t line = 0;  // 1-based line number in the file
    std::vector<std::string> fields;
  };

  const std::string& path() const { return path_; }
  const std::vector<std::string>& header() const { return header_; }
  const std::vector<Row>& rows() const { return rows_; }
  bool has_column(std::string_view name) const;
  // Index of a column; throws ParseError naming the file and the missing column.
  std::size_t column(std::string_view name) const;

  // The field of a row; throws ParseError when the row has more or fewer fields than the header.
  const std::string& field(const Row& row, std::size_t column) const;
  double number(const Row& row, std::size_t column) const;
  double positive(const Row& row, std::size_t column) const;
  // A batch size: a positive integer of at most 10^6 (no training run uses more; larger values
  // are another column's or unit's); throws ParseError otherwise.
  int batch_size(const Row& row, std::size_t column) const;

 private:
  std::string path_;
  std::vector<std::string> header_;
  std::vector<Row> rows_;
};

}  // namespace gpuopt::power
