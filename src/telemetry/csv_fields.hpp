// Internal to the nvidia-smi CSV reader: what each header field means, and how one value of a
// column is parsed into gpuopt's canonical unit without allocating (except to describe an error).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gpuopt/metric.hpp"
#include "gpuopt/sample.hpp"

namespace gpuopt::csv {

enum class ColumnKind : std::uint8_t {
  ignored,
  timestamp,
  index,
  uuid,
  name,
  pci_bus_id,
  metric,           // one Metric, value in a unit of its quantity
  device_property,  // a static DeviceInfo field (power.max_limit, clocks.max.sm, ...)
  throttle_bit,     // clocks_event_reasons.X: "Active" / "Not Active"
  throttle_mask,    // clocks_event_reasons.active: "0x0000000000000004"
};

// What a numeric column measures; decides which value units are accepted (the order is that
// of the unit table in csv_fields.cpp).
enum class Quantity : std::uint8_t { percent, mebibytes, watts, megahertz, celsius, millijoules, pstate };

// A pointer to the DeviceInfo field a device_property column fills.
using DeviceField = std::optional<double> DeviceInfo::*;

struct Column {
  std::string header;  // the header field as written, trimmed: "power.draw [W]"
  ColumnKind kind = ColumnKind::ignored;
  Metric metric = Metric::power_w;     // kind == metric
  DeviceField device_field = nullptr;  // kind == device_property
  std::uint64_t throttle_bit = 0;      // kind == throttle_bit
  Quantity quantity = Quantity::percent;
  std::string header_unit;     // unit in brackets ("W"), "" when the header has none
  double header_factor = 1.0;  // header unit -> canonical unit of `quantity`
};

// The header line, understood. Column positions are -1 when the column is missing.
struct Schema {
  std::vector<Column> columns;  // one per header field, in file order
  int timestamp_column = -1;
  int index_column = -1;
  int uuid_column = -1;
  int metric_columns = 0;                    // metric + throttle columns
  std::vector<std::string> ignored_columns;  // header fields gpuopt does not use
  std::vector<std::string> header_problems;  // "field 'x [mW/s]': unknown unit ...; column ignored"
};

// Splits and classifies a header line ("timestamp, power.draw [W], ..."). Unknown fields, and
// known fields whose header unit does not fit them, are ignored; the caller decides whether
// what is left is usable.
Schema parse_header(std::string_view line);

// A value read from one field: a number, absent ("[N/A]", "[Not Supported]", ""), or an error.
struct FieldValue {
  std::optional<double> value;
  std::string error;  // non-empty = the field is invalid; says why
};

// Parses a metric or device-property field into the column's canonical unit: accepts a bare
// number (in the header's unit) or a number followed by a unit of the same quantity (converted).
// Rejects non-numbers, negative values, percentages above 100 and pstates outside P0..P15.
FieldValue parse_quantity(std::string_view text, const Column& column);

// "Active" -> true, "Not Active" -> false, absent -> nullopt; anything else sets `error`.
std::optional<bool> parse_throttle_flag(std::string_view text, std::string& error);

// "0x0000000000000004" -> 4; absent -> nullopt; anything else sets `error`.
std::optional<std::uint64_t> parse_throttle_mask(std::string_view text, std::string& error);

// Strips spaces and tabs at both ends.
std::string_view trim(std::string_view text);

// nvidia-smi's spellings of "no value": "[N/A]", "[Not Supported]", "[Unknown Error]" and any
// other bracketed text, "N/A", or an empty field.
bool is_absent(std::string_view trimmed);

}  // namespace gpuopt::csv
