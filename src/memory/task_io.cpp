// Task files: JSONL (one task per line), or one JSON object, or a JSON array of tasks.
#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/file_read.hpp"
#include "gpuopt/file_write.hpp"
#include "gpuopt/memory/task.hpp"

namespace gpuopt::memory {
namespace {

using nlohmann::json;

// Task files and data sets (the shared timm set is 86 MB).
std::string read_file(const std::string& path) { return read_file_capped(path, 1024 * kMiB, "a task file"); }

bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

std::size_t line_at(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
}

// nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
// without the parts that repeat what ParseError already says; "number overflow parsing '1e400'"
// (out_of_range.406) as it is.
std::string json_reason(const json::exception& e) {
  const std::string_view what = e.what();
  const auto column = what.find("column ");
  if (column != std::string_view::npos) return std::string(what.substr(column));
  const auto close = what.find("] ");
  return std::string(close == std::string_view::npos ? what : what.substr(close + 2));
}

// Offsets of the top-level elements of a syntactically valid JSON array (for line numbers).
std::vector<std::size_t> array_element_offsets(std::string_view text) {
  std::vector<std::size_t> offsets;
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  bool expect_element = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (expect_element && c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != ']') {
      offsets.push_back(i);
      expect_element = false;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{')
      expect_element = (++depth == 1);
    else if (c == ']' || c == '}')
      --depth;
    else if (c == ',' && depth == 1)
      expect_element = true;
  }
  return offsets;
}

json parse_whole(const std::string& path, std::string_view text) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw ParseError(path, line_at(text, e.byte == 0 ? 0 : e.byte - 1), "", json_reason(e));
  } catch (const json::exception& e) {  // out_of_range: a number such as 1e400
    throw ParseError(path, 0, "", json_reason(e));
  }
}

std::vector<Task> read_array(const std::string& path, std::string_view text) {
  const json array = parse_whole(path, text);
  const auto offsets = array_element_offsets(text);
  std::vector<Task> tasks;
  tasks.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i)
    tasks.push_back(task_from_json(array[i], path, i < offsets.size() ? line_at(text, offsets[i]) : 0));
  return tasks;
}

std::vector<Task> read_jsonl(const std::string& path, std::string_view text) {
  std::vector<Task> tasks;
  std::size_t line_number = 0;
  std::size_t begin = 0;
  while (begin < text.size()) {
    const std::size_t newline = text.find('\n', begin);
    const bool terminated = newline != std::string_view::npos;
    const std::string_view line = text.substr(begin, terminated ? newline - begin : std::string_view::npos);
    begin = terminated ? newline + 1 : text.size();
    ++line_number;
    if (is_blank(line))
      throw ParseError(path, line_number, "", "empty line (one task per line, no blank lines)");
    json object;
    try {
      object = json::parse(line);
    } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e400
      const bool last = begin == text.size();
      throw ParseError(path, line_number, "",
                       json_reason(e) + (last && !terminated ? " (the last line is truncated)" : ""));
    }
    tasks.push_back(task_from_json(object, path, line_number));
  }
  return tasks;
}

}  // namespace

std::vector<Task> read_tasks(const std::string& path) {
  const std::string content = read_file(path);
  const std::string_view text = content;
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  if (text[first] == '[') return read_array(path, text);
  // JSONL when the first line is a complete JSON value; otherwise one (pretty-printed) object.
  const std::string_view first_line = text.substr(0, text.find('\n'));
  if (!json::accept(first_line)) {
    const std::size_t line = line_at(text, first);
    return {task_from_json(parse_whole(path, text), path, line)};
  }
  return read_jsonl(path, text);
}

void write_tasks_jsonl(const std::string& path, const std::vector<Task>& tasks) {
  std::string text;
  for (const auto& task : tasks) text += task_to_json(task).dump() + '\n';
  write_file_atomically(path, text, "a task file");
}

}  // namespace gpuopt::memory
