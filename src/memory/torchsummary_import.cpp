// torchsummary's table ("Layer (type)  Output Shape  Param #") -> Task.
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/file_read.hpp"
#include "gpuopt/memory/importers.hpp"
#include "gpuopt/memory/layer_kind.hpp"

namespace gpuopt::memory {
namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

// Past any real count (parameters, elements per sample): larger ones are garbage, and sums of
// them cannot overflow int64.
constexpr std::int64_t kMaxCount = std::int64_t{1} << 40;

// "1,179,776" -> 1179776 (commas, when present, between groups of three digits); nullopt for
// anything else, such as "1,8,4,96" or a count past 2^40.
std::optional<std::int64_t> count_with_commas(std::string_view text) {
  std::string digits;
  std::size_t group = 0;  // digits since the last comma
  bool grouped = false;
  for (const char c : text) {
    if (c == ',') {
      if ((grouped ? group != 3 : (group == 0 || group > 3))) return std::nullopt;
      grouped = true;
      group = 0;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    digits.push_back(c);
    ++group;
  }
  if (grouped && group != 3) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || value > kMaxCount)
    return std::nullopt;
  return value;
}

// Elements per sample of "[-1, 64, 112, 112]" (the leading batch entry is dropped) or of a
// module returning several tensors, "[[-1, 10], [-1, 20]]" (summed); nullopt when malformed.
std::optional<std::int64_t> shape_elements(std::string_view text) {
  std::int64_t total = 0;
  std::int64_t product = 1;
  bool any_number = false;
  int depth = 0;
  int position = 0;  // index of the number in the innermost list
  std::string_view rest = text;
  while (!rest.empty()) {
    const char c = rest.front();
    if (c == '[') {
      ++depth;
      product = 1;
      position = 0;
      rest.remove_prefix(1);
    } else if (c == ']') {
      if (depth == 0) return std::nullopt;
      if (position > 0) total += product;
      if (total > kMaxCount) return std::nullopt;
      position = 0;
      --depth;
      rest.remove_prefix(1);
    } else if (c == ',' || c == ' ') {
      rest.remove_prefix(1);
    } else {
      std::int64_t value = 0;
      const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
      if (ec != std::errc() || depth == 0) return std::nullopt;
      if (position > 0) {
        if (value < 0 || (value > 0 && product > kMaxCount / value)) return std::nullopt;
        product *= value;
      }
      any_number = true;
      ++position;
      rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
    }
  }
  if (depth != 0 || !any_number) return std::nullopt;
  return total;
}

struct Row {
  Layer layer;
  bool ok = false;
};

// "      Conv2d-1      [-1, 64, 112, 112]      9,408"
Row parse_row(std::string_view line) {
  Row row;
  const auto shape_begin = line.find('[');
  const auto shape_end = line.rfind(']');
  if (shape_begin == std::string_view::npos || shape_end == std::string_view::npos || shape_end < shape_begin)
    return row;
  const std::string_view name = trim(line.substr(0, shape_begin));
  const auto dash = name.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || !count_with_commas(name.substr(dash + 1))) return row;
  const auto elements = shape_elements(line.substr(shape_begin, shape_end - shape_begin + 1));
  const auto params = count_with_commas(trim(line.substr(shape_end + 1)));
  if (!elements || !params) return row;
  row.layer = {std::string(name.substr(0, dash)), *elements, *params};
  row.ok = true;
  return row;
}

bool is_rule(std::string_view line, char c) {
  line = trim(line);
  return line.size() >= 10 && line.find_first_not_of(c) == std::string_view::npos;
}

bool is_header(std::string_view line) {
  return line.find("Layer (type)") != std::string_view::npos &&
         line.find("Output Shape") != std::string_view::npos &&
         line.find("Param #") != std::string_view::npos;
}

class SummaryReader {
 public:
  explicit SummaryReader(const std::string& path)
      : path_(path), in_(read_file_capped(path, 64 * kMiB, "a torchsummary text")) {}

  // The layer rows; composite modules without parameters of their own (blocks) are left out,
  // their outputs being their last child's.
  std::vector<Layer> read_layers();

 private:
  bool next(std::string& line) {
    if (!std::getline(in_, line)) return false;
    ++line_number_;
    return true;
  }
  void check_total(std::int64_t rows_params);

  const std::string& path_;
  std::istringstream in_;
  std::size_t line_number_ = 0;
};

std::vector<Layer> SummaryReader::read_layers() {
  std::string line;
  while (next(line) && !is_header(line)) {
  }
  if (in_.eof() && !is_header(line))
    throw ParseError(path_, std::max<std::size_t>(line_number_, 1), "",
                     "no torchsummary table (a 'Layer (type)  Output Shape  Param #' header) before the end");
  if (!next(line) || !is_rule(line, '='))
    throw ParseError(path_, line_number_, "", "expected a '=====' rule under the table header");
  std::vector<Layer> layers;
  std::int64_t rows_params = 0;
  while (next(line) && !is_rule(line, '=')) {
    const Row row = parse_row(line);
    if (!row.ok)
      throw ParseError(path_, line_number_, "", "malformed row (expected 'Kind-N  [-1, dims...]  params')");
    rows_params += row.layer.params;
    if (rows_params > kMaxCount)
      throw ParseError(path_, line_number_, "Param #", "the rows' parameters add up to more than 2^40");
    if (canonical_kind(row.layer.kind) == LayerKind::block && row.layer.params == 0) continue;
    layers.push_back(row.layer);
  }
  if (!is_rule(line, '=')) throw ParseError(path_, line_number_, "", "the table ends without a '=====' rule");
  if (layers.empty()) throw ParseError(path_, line_number_, "", "the table has no layer rows");
  check_total(rows_params);
  return layers;
}

void SummaryReader::check_total(std::int64_t rows_params) {
  std::string line;
  constexpr std::string_view kTotal = "Total params:";
  while (next(line)) {
    const std::string_view text = trim(line);
    if (!text.starts_with(kTotal)) continue;
    const auto total = count_with_commas(trim(text.substr(kTotal.size())));
    if (!total) throw ParseError(path_, line_number_, "Total params", "not a number");
    if (*total != rows_params)
      throw ParseError(
          path_, line_number_, "Total params",
          fmt::format("{} differs from the sum of the rows' parameters, {}", *total, rows_params));
    return;
  }
  throw ParseError(path_, line_number_, "Total params", "missing after the table");
}

}  // namespace

Task import_torchsummary(const std::string& path, std::int64_t batch_size) {
  if (batch_size <= 0) throw UsageError(fmt::format("batch size must be > 0, got {}", batch_size));
  Task task;
  task.layers = SummaryReader(path).read_layers();
  for (const auto& layer : task.layers) task.params += layer.params;
  task.model = std::filesystem::path(path).stem().string();
  task.id = fmt::format("torchsummary/{}/bs{}", task.model, batch_size);
  task.source = "torchsummary";
  task.family = family_of(task.model);
  task.framework = "pytorch";
  task.batch_size = batch_size;
  return task;
}

}  // namespace gpuopt::memory
