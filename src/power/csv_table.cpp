#include "csv_table.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/file_read.hpp"

namespace gpuopt::power {

std::vector<std::string> split_csv_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (const char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back().push_back(c);
    }
  }
  return fields;
}

double parse_number(const std::string& text, const std::string& file, std::size_t line,
                    const std::string& field) {
  if (text.empty()) throw ParseError(file, line, field, "empty value");
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(value)) {
    throw ParseError(file, line, field, fmt::format("'{}' is not a number", text));
  }
  return value;
}

double parse_positive(const std::string& text, const std::string& file, std::size_t line,
                      const std::string& field) {
  const double value = parse_number(text, file, line, field);
  if (value <= 0) throw ParseError(file, line, field, fmt::format("{} is not positive", text));
  return value;
}

std::string read_power_file(const std::string& path) {
  return read_file_capped(path, 256 * kMiB, "a power or clock curve file");
}

CsvTable::CsvTable(const std::string& path) : path_(path) {
  std::istringstream in(read_power_file(path));
  std::string text;
  std::size_t number = 0;
  while (std::getline(in, text)) {
    ++number;
    if (text.empty() || text == "\r") continue;
    if (header_.empty()) {
      if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);  // a UTF-8 byte-order mark
      header_ = split_csv_line(text);
      continue;
    }
    rows_.push_back(Row{number, split_csv_line(text)});
  }
  if (header_.empty()) throw ParseError(path, 0, "", "empty file: expected a header row");
}

bool CsvTable::has_column(std::string_view name) const {
  for (const auto& column : header_) {
    if (column == name) return true;
  }
  return false;
}

std::size_t CsvTable::column(std::string_view name) const {
  for (std::size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return i;
  }
  throw ParseError(path_, 1, std::string(name), "missing column");
}

const std::string& CsvTable::field(const Row& row, std::size_t column) const {
  if (row.fields.size() != header_.size()) {
    throw ParseError(
        path_, row.line, "",
        fmt::format("row has {} fields, expected {} (as the header)", row.fields.size(), header_.size()));
  }
  return row.fields[column];
}

double CsvTable::number(const Row& row, std::size_t column) const {
  return parse_number(field(row, column), path_, row.line, header_[column]);
}

double CsvTable::positive(const Row& row, std::size_t column) const {
  return parse_positive(field(row, column), path_, row.line, header_[column]);
}

int CsvTable::batch_size(const Row& row, std::size_t column) const {
  constexpr double kMaxBatchSize = 1e6;
  const double value = positive(row, column);
  if (value != std::floor(value))
    throw ParseError(path_, row.line, header_[column], "batch size must be an integer");
  if (value > kMaxBatchSize) {
    throw ParseError(
        path_, row.line, header_[column],
        fmt::format("{:g} is implausible for a batch size (must be at most {})", value, kMaxBatchSize));
  }
  return static_cast<int>(value);
}

}  // namespace gpuopt::power
