#include "gpuopt/nvidia_smi_csv.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "csv_fields.hpp"
#include "gpuopt/error.hpp"
#include "gpuopt/time.hpp"
#include "gpuopt/utf8.hpp"
#include "interleave.hpp"
#include "line_reader.hpp"

namespace gpuopt {
namespace {

using csv::Column;
using csv::ColumnKind;

constexpr std::size_t kMaxIssues = 100;
constexpr std::size_t kDetectionRows = 4096;  // rows whose timestamps tell the interleaved GPU count
constexpr std::ptrdiff_t kMaxColumns = 1024;  // header fields accepted
constexpr std::size_t kMaxIssueChars = 300;

std::string known_fields_list() {
  std::string out;
  for (const auto& m : all_metrics()) {
    if (m.smi_field.empty()) continue;
    if (!out.empty()) out += ", ";
    out += m.smi_field;
  }
  return out + ", clocks_event_reasons.*";
}

// Who a row belongs to, as far as the row itself says.
struct RowIdentity {
  std::optional<int> index;
  std::string_view uuid;
  std::string_view name;
  std::string_view pci_bus_id;
};

class TraceReader {
 public:
  TraceReader(const std::string& path, const CsvReadOptions& options,
              const std::function<void(std::span<const Sample>)>& on_batch)
      : path_(path), options_(options), on_batch_(on_batch), lines_(path) {}

  CsvReadResult run();

 private:
  void read_header();
  void read_row(std::string_view line);
  // Parses every field of fields_ into sample/identity; returns the first problem, if any.
  std::string parse_fields(Sample& sample, RowIdentity& identity);
  std::string parse_field(const Column& column, std::string_view text, Sample& sample, RowIdentity& identity,
                          std::uint64_t& throttle_mask, bool& has_throttle);
  int device_position(const RowIdentity& identity);
  void update_device(DeviceInfo& device, const Sample& sample);
  std::size_t split(std::string_view line);
  void check_time_order(const Sample& sample);
  void add_issue(std::size_t line, std::string message);
  void skip_row(std::string message);
  void flush();
  void report_progress();

  const std::string& path_;
  const CsvReadOptions& options_;
  const std::function<void(std::span<const Sample>)>& on_batch_;
  csv::LineReader lines_;
  csv::Schema schema_;
  std::string header_line_;
  std::string id_prefix_;
  int interleaved_gpus_ = 1;
  std::size_t data_row_ = 0;           // rows since the header, for round-robin GPU assignment
  std::vector<EpochMs> last_time_ms_;  // per device position: the time of its latest row
  std::vector<std::string_view> fields_;
  std::vector<std::pair<csv::DeviceField, double>> row_properties_;
  std::vector<Sample> batch_;
  bool devices_changed_ = false;
  std::uint64_t reported_bytes_ = 0;
  CsvReadResult result_;
};

CsvReadResult TraceReader::run() {
  if (options_.gpus < 0) throw UsageError(fmt::format("invalid GPU count {}: must be >= 0", options_.gpus));
  read_header();
  batch_.reserve(std::max<std::size_t>(options_.batch_rows, 1));
  std::string_view line;
  while (lines_.next(line)) {
    report_progress();
    if (csv::trim(line).empty()) continue;
    if (line == header_line_) {
      add_issue(lines_.line_number(), "repeated header line skipped (concatenated traces?)");
      data_row_ = 0;
      continue;
    }
    read_row(line);
    if (batch_.size() >= options_.batch_rows) flush();
  }
  flush();
  report_progress();
  return std::move(result_);
}

void TraceReader::read_header() {
  std::string_view line;
  do {
    if (!lines_.next(line)) throw ParseError(path_, 0, "", "empty file: no header and no data");
  } while (csv::trim(line).empty());
  const std::size_t at = lines_.line_number();
  // nvidia-smi --query-gpu knows about 200 fields; a header far wider is not one of its logs (and
  // checking each column against the earlier ones is quadratic).
  if (const auto columns = std::count(line.begin(), line.end(), ',') + 1; columns > kMaxColumns) {
    throw ParseError(
        path_, lines_.line_number(), "",
        fmt::format("header has {} columns (at most {}): not an nvidia-smi CSV log", columns, kMaxColumns));
  }
  header_line_ = std::string(line);
  schema_ = csv::parse_header(line);
  if (parse_timestamp(schema_.columns.front().header)) {
    throw ParseError(path_, at, "",
                     "no header line: the file starts with data (write it with --format=csv, not noheader)");
  }
  if (schema_.timestamp_column < 0) {
    throw ParseError(path_, at, "", "no 'timestamp' column in the header (add timestamp to --query-gpu)");
  }
  if (schema_.metric_columns == 0) {
    throw ParseError(
        path_, at, "",
        schema_.header_problems.empty()
            ? fmt::format("no metric column gpuopt knows in the header (known: {})", known_fields_list())
            : fmt::format("no usable metric column: {}", fmt::join(schema_.header_problems, "; ")));
  }
  result_.ignored_columns = schema_.ignored_columns;
  for (auto& problem : schema_.header_problems) add_issue(at, std::move(problem));
  const bool identified = schema_.index_column >= 0 || schema_.uuid_column >= 0;
  if (options_.gpus > 1 && identified) {
    add_issue(at, fmt::format("GPU count {} ignored: the file names each row's GPU ({} column)",
                              options_.gpus, schema_.uuid_column >= 0 ? "uuid" : "index"));
  }
  if (identified) {
    interleaved_gpus_ = 1;
  } else {
    const int detected = csv::detect_interleaved_gpus(
        csv::leading_timestamps(path_, schema_.timestamp_column, kDetectionRows));
    if (options_.gpus > 0) {
      interleaved_gpus_ = options_.gpus;
      // A wrong count mixes the GPUs' rows for good once stored: say when the timestamps disagree
      // (1 = evenly spaced, or too few rows to tell).
      if (detected > 1 && detected != options_.gpus) {
        add_issue(at, fmt::format("--gpus {} disagrees with the timestamps, which look like {} GPUs per "
                                  "sampling round; rows are assigned round-robin to {} GPUs as asked",
                                  options_.gpus, detected, options_.gpus));
      }
    } else {
      interleaved_gpus_ = detected;
      result_.interleaved_gpus_detected = true;
    }
  }
  result_.interleaved_gpus = interleaved_gpus_;
  id_prefix_ = options_.id_prefix.empty() ? positional_device_id_prefix(path_) : options_.id_prefix;
  fields_.reserve(schema_.columns.size() + 1);
}

std::size_t TraceReader::split(std::string_view line) {
  fields_.clear();
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      fields_.push_back(line.substr(start));
      return fields_.size();
    }
    fields_.push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
}

void TraceReader::read_row(std::string_view line) {
  ++data_row_;
  const std::size_t found = split(line);
  if (found != schema_.columns.size()) {
    if (lines_.last_line_unterminated()) {
      result_.truncated_last_line = true;
      skip_row(fmt::format("truncated last line ({} of {} fields, no newline at end of file)", found,
                           schema_.columns.size()));
    } else {
      skip_row(fmt::format("expected {} fields, found {}", schema_.columns.size(), found));
    }
    return;
  }
  Sample sample;
  RowIdentity identity;
  if (std::string problem = parse_fields(sample, identity); !problem.empty()) {
    // A last line that ends without a newline and does not parse was most likely cut off.
    if (lines_.last_line_unterminated()) {
      result_.truncated_last_line = true;
      problem += " (truncated last line)";
    }
    skip_row(std::move(problem));
    return;
  }
  if (!identity.index && schema_.uuid_column < 0) {
    identity.index = static_cast<int>((data_row_ - 1) % static_cast<std::size_t>(interleaved_gpus_));
  }
  sample.gpu = device_position(identity);
  check_time_order(sample);
  update_device(result_.devices[static_cast<std::size_t>(sample.gpu)], sample);
  batch_.push_back(sample);
  ++result_.rows_read;
}

std::string TraceReader::parse_fields(Sample& sample, RowIdentity& identity) {
  row_properties_.clear();
  std::uint64_t throttle_mask = 0;
  bool has_throttle = false;
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    const Column& column = schema_.columns[i];
    if (column.kind == ColumnKind::ignored) continue;
    std::string reason = parse_field(column, fields_[i], sample, identity, throttle_mask, has_throttle);
    if (!reason.empty()) return fmt::format("field '{}': {}", column.header, reason);
  }
  if (has_throttle) sample.values.set(Metric::throttle_reasons, static_cast<double>(throttle_mask));
  return {};
}

std::string TraceReader::parse_field(const Column& column, std::string_view text, Sample& sample,
                                     RowIdentity& identity, std::uint64_t& throttle_mask,
                                     bool& has_throttle) {
  const std::string_view value = csv::trim(text);
  std::string error;
  switch (column.kind) {
    case ColumnKind::timestamp:
      if (auto t = parse_timestamp(value)) {
        sample.time_ms = *t;
        return {};
      }
      return fmt::format("invalid timestamp '{}' (expected YYYY/MM/DD hh:mm:ss.mmm)", value);
    case ColumnKind::index: {
      int index = -1;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), index);
      if (ec != std::errc() || end != value.data() + value.size() || index < 0) {
        return fmt::format("invalid GPU index '{}'", value);
      }
      identity.index = index;
      return {};
    }
    case ColumnKind::uuid:
      if (csv::is_absent(value)) return "no GPU uuid";
      identity.uuid = value;
      return {};
    case ColumnKind::name:
      if (!csv::is_absent(value)) identity.name = value;
      return {};
    case ColumnKind::pci_bus_id:
      if (!csv::is_absent(value)) identity.pci_bus_id = value;
      return {};
    case ColumnKind::metric: {
      csv::FieldValue parsed = csv::parse_quantity(value, column);
      if (parsed.value) sample.values.set(column.metric, *parsed.value);
      return std::move(parsed.error);
    }
    case ColumnKind::device_property: {
      csv::FieldValue parsed = csv::parse_quantity(value, column);
      if (parsed.value) row_properties_.emplace_back(column.device_field, *parsed.value);
      return std::move(parsed.error);
    }
    case ColumnKind::throttle_bit:
      if (auto active = csv::parse_throttle_flag(value, error)) {
        has_throttle = true;
        if (*active) throttle_mask |= column.throttle_bit;
      }
      return error;
    case ColumnKind::throttle_mask:
      if (auto mask = csv::parse_throttle_mask(value, error)) {
        has_throttle = true;
        throttle_mask |= *mask;
      }
      return error;
    case ColumnKind::ignored:
      return {};
  }
  return {};
}

int TraceReader::device_position(const RowIdentity& identity) {
  auto& devices = result_.devices;
  const bool by_uuid = schema_.uuid_column >= 0;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    if (by_uuid ? devices[i].uuid == identity.uuid : devices[i].index == *identity.index) {
      return static_cast<int>(i);
    }
  }
  DeviceInfo device;
  device.index = identity.index.value_or(static_cast<int>(devices.size()));
  device.uuid = by_uuid ? std::string(identity.uuid) : fmt::format("{}{}", id_prefix_, device.index);
  device.name = std::string(identity.name);
  device.pci_bus_id = std::string(identity.pci_bus_id);
  devices.push_back(std::move(device));
  devices_changed_ = true;
  return static_cast<int>(devices.size() - 1);
}

void TraceReader::update_device(DeviceInfo& device, const Sample& sample) {
  if (auto total = sample.values.get(Metric::mem_total_mib)) device.mem_total_mib = total;
  for (const auto& [field, value] : row_properties_) device.*field = value;
}

// Samples are stored by (GPU, time): a row repeating a GPU's time replaces the earlier one, so say
// so. Many such rows on interleaved GPUs usually mean a wrong --gpus.
void TraceReader::check_time_order(const Sample& sample) {
  const auto gpu = static_cast<std::size_t>(sample.gpu);
  if (last_time_ms_.size() <= gpu) last_time_ms_.resize(gpu + 1, std::numeric_limits<EpochMs>::min());
  EpochMs& last = last_time_ms_[gpu];
  if (sample.time_ms == last) {
    add_issue(lines_.line_number(),
              fmt::format("time {} repeats the previous row of GPU {}: the store keeps one sample per GPU "
                          "and time, this row replaces it{}",
                          format_iso8601(sample.time_ms), result_.devices[gpu].index,
                          schema_.index_column < 0 && schema_.uuid_column < 0 ? " (wrong --gpus?)" : ""));
  } else if (sample.time_ms < last) {
    std::string what = fmt::format("time {} goes back from {} on GPU {}", format_iso8601(sample.time_ms),
                                   format_iso8601(last), result_.devices[gpu].index);
    if (result_.first_time_reversal.line == 0)
      result_.first_time_reversal = {path_, lines_.line_number(), what};
    add_issue(lines_.line_number(), what + " (row kept; a time seen before replaces that sample)");
  }
  last = std::max(last, sample.time_ms);
}

void TraceReader::add_issue(std::size_t line, std::string message) {
  ++result_.issue_count;
  // A message quotes the offending field; a huge field must not become a huge message.
  if (message.size() > kMaxIssueChars) message = message.substr(0, kMaxIssueChars) + "...";
  if (result_.issues.size() < kMaxIssues) result_.issues.push_back({path_, line, std::move(message)});
}

void TraceReader::skip_row(std::string message) {
  ++result_.rows_skipped;
  add_issue(lines_.line_number(), std::move(message));
}

void TraceReader::flush() {
  if (batch_.empty()) return;
  if (devices_changed_ && options_.on_devices) options_.on_devices(result_.devices);
  devices_changed_ = false;
  on_batch_(batch_);
  batch_.clear();
}

void TraceReader::report_progress() {
  if (!options_.on_progress || lines_.bytes_done() == reported_bytes_) return;
  reported_bytes_ = lines_.bytes_done();
  options_.on_progress(reported_bytes_, lines_.file_size());
}

}  // namespace

std::string CsvIssue::to_string() const {
  if (line == 0) return fmt::format("{}: {}", file, message);
  return fmt::format("{}:{}: {}", file, line, message);
}

std::string positional_device_id_prefix(const std::string& path, int components) {
  const auto absolute = std::filesystem::absolute(path).lexically_normal();
  if (components == 2) {
    return valid_utf8(fmt::format("trace:{}/{}:gpu", absolute.parent_path().filename().string(),
                                  absolute.filename().string()));
  }
  std::vector<std::string> parts;
  for (const auto& part : absolute.relative_path()) parts.push_back(part.string());
  const std::size_t keep =
      components <= 0 ? parts.size() : std::min(parts.size(), static_cast<std::size_t>(components));
  std::string tail = components <= 0 ? "/" : "";
  for (std::size_t i = parts.size() - keep; i < parts.size(); ++i) {
    tail += parts[i];
    if (i + 1 < parts.size()) tail += '/';
  }
  return valid_utf8(fmt::format("trace:{}:gpu", tail));
}

CsvReadResult read_nvidia_smi_csv(const std::string& path, const CsvReadOptions& options,
                                  const std::function<void(std::span<const Sample>)>& on_batch) {
  return TraceReader(path, options, on_batch).run();
}

}  // namespace gpuopt
