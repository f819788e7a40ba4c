#include "csv_fields.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <span>
#include <utility>

#include <fmt/format.h>

#include "gpuopt/throttle.hpp"
#include "gpuopt/units.hpp"

namespace gpuopt::csv {
namespace {

struct UnitFactor {
  std::string_view unit;
  double factor;  // to the canonical unit
};

constexpr double kMiB = 1024.0 * 1024.0;

constexpr std::array<UnitFactor, 1> kPercentUnits{{{"%", 1.0}}};
constexpr std::array<UnitFactor, 10> kMemoryUnits{{{"MiB", 1.0},
                                                   {"KiB", 1.0 / 1024.0},
                                                   {"GiB", 1024.0},
                                                   {"TiB", 1024.0 * 1024.0},
                                                   {"B", 1.0 / kMiB},
                                                   {"KB", 1e3 / kMiB},
                                                   {"kB", 1e3 / kMiB},
                                                   {"MB", 1e6 / kMiB},
                                                   {"GB", 1e9 / kMiB},
                                                   {"TB", 1e12 / kMiB}}};
constexpr std::array<UnitFactor, 3> kPowerUnits{{{"W", 1.0}, {"mW", 1e-3}, {"kW", 1e3}}};
constexpr std::array<UnitFactor, 4> kClockUnits{{{"MHz", 1.0}, {"GHz", 1e3}, {"kHz", 1e-3}, {"Hz", 1e-6}}};
constexpr std::array<UnitFactor, 2> kTemperatureUnits{{{"C", 1.0}, {"°C", 1.0}}};
constexpr std::array<UnitFactor, 3> kEnergyUnits{{{"mJ", 1.0}, {"J", 1e3}, {"kJ", 1e6}}};

struct QuantityInfo {
  std::string_view name;  // for error messages
  std::span<const UnitFactor> units;
};

// Indexed by Quantity.
constexpr std::array<QuantityInfo, 7> kQuantities{{
    {"percentage", kPercentUnits},
    {"memory size", kMemoryUnits},
    {"power", kPowerUnits},
    {"clock", kClockUnits},
    {"temperature", kTemperatureUnits},
    {"energy", kEnergyUnits},
    {"pstate", {}},
}};

const QuantityInfo& info_of(Quantity q) { return kQuantities[static_cast<std::size_t>(q)]; }

std::string unit_list(Quantity q) {
  std::string out;
  for (const auto& u : info_of(q).units) {
    if (!out.empty()) out += ", ";
    out += u.unit;
  }
  return out;
}

std::optional<double> factor_of(Quantity q, std::string_view unit) {
  for (const auto& u : info_of(q).units) {
    if (u.unit == unit) return u.factor;
  }
  return std::nullopt;
}

Quantity quantity_of(Metric m) {
  const std::string_view unit = metric_info(m).unit;
  if (unit == "%") return Quantity::percent;
  if (unit == "MiB") return Quantity::mebibytes;
  if (unit == "W") return Quantity::watts;
  if (unit == "MHz") return Quantity::megahertz;
  if (unit == "C") return Quantity::celsius;
  if (unit == "mJ") return Quantity::millijoules;
  return Quantity::pstate;
}

// nvidia-smi field names (and the long forms its headers print) beyond metric_info().smi_field.
constexpr std::array<std::pair<std::string_view, Metric>, 6> kMetricAliases{{
    {"power.draw.instant", Metric::power_w},
    {"power.draw.average", Metric::power_w},
    {"enforced.power.limit", Metric::power_limit_w},
    {"clocks.current.sm", Metric::sm_clock_mhz},
    {"clocks.current.memory", Metric::mem_clock_mhz},
    {"clocks.current.graphics", Metric::graphics_clock_mhz},
}};

struct PropertyField {
  std::string_view name;
  DeviceField field;
  Quantity quantity;
};

constexpr std::array<PropertyField, 8> kPropertyFields{{
    {"power.default_limit", &DeviceInfo::power_limit_default_w, Quantity::watts},
    {"power.min_limit", &DeviceInfo::power_limit_min_w, Quantity::watts},
    {"power.max_limit", &DeviceInfo::power_limit_max_w, Quantity::watts},
    {"clocks.max.sm", &DeviceInfo::sm_clock_max_mhz, Quantity::megahertz},
    {"clocks.max.memory", &DeviceInfo::mem_clock_max_mhz, Quantity::megahertz},
    {"clocks.max.mem", &DeviceInfo::mem_clock_max_mhz, Quantity::megahertz},
    {"clocks.max.graphics", &DeviceInfo::graphics_clock_max_mhz, Quantity::megahertz},
    {"clocks.max.gr", &DeviceInfo::graphics_clock_max_mhz, Quantity::megahertz},
}};

constexpr std::array<std::pair<std::string_view, ColumnKind>, 8> kIdentityFields{{
    {"timestamp", ColumnKind::timestamp},
    {"index", ColumnKind::index},
    {"uuid", ColumnKind::uuid},
    {"gpu_uuid", ColumnKind::uuid},
    {"name", ColumnKind::name},
    {"gpu_name", ColumnKind::name},
    {"pci.bus_id", ColumnKind::pci_bus_id},
    {"gpu_bus_id", ColumnKind::pci_bus_id},
}};

std::optional<Metric> metric_of_field(std::string_view name) {
  for (const auto& info : all_metrics()) {
    if (!info.smi_field.empty() && info.smi_field == name && info.metric != Metric::throttle_reasons) {
      return info.metric;
    }
  }
  for (const auto& [alias, metric] : kMetricAliases) {
    if (alias == name) return metric;
  }
  return std::nullopt;
}

// Fills kind and its details from the field name (without unit); leaves kind ignored if unknown.
void classify(std::string_view name, Column& column) {
  for (const auto& [field, kind] : kIdentityFields) {
    if (field == name) {
      column.kind = kind;
      return;
    }
  }
  if (auto metric = metric_of_field(name)) {
    column.kind = ColumnKind::metric;
    column.metric = *metric;
    column.quantity = quantity_of(*metric);
    return;
  }
  for (const auto& p : kPropertyFields) {
    if (p.name == name) {
      column.kind = ColumnKind::device_property;
      column.device_field = p.field;
      column.quantity = p.quantity;
      return;
    }
  }
  if (name == "clocks_event_reasons.active" || name == "clocks_throttle_reasons.active") {
    column.kind = ColumnKind::throttle_mask;
  } else if (auto reason = throttle_reason_from_smi_field(name)) {
    column.kind = ColumnKind::throttle_bit;
    column.throttle_bit = static_cast<std::uint64_t>(*reason);
  }
}

// Checks the bracketed header unit against the column's quantity; returns the problem, if any.
std::string apply_header_unit(Column& column) {
  if (column.header_unit.empty()) return {};
  const bool numeric = column.kind == ColumnKind::metric || column.kind == ColumnKind::device_property;
  if (numeric && column.quantity != Quantity::pstate) {
    if (auto factor = factor_of(column.quantity, column.header_unit)) {
      column.header_factor = *factor;
      return {};
    }
    return fmt::format("field '{}': unit '{}' is not a {} unit (use {}); column ignored", column.header,
                       column.header_unit, info_of(column.quantity).name, unit_list(column.quantity));
  }
  if (column.kind == ColumnKind::ignored) return {};
  return fmt::format("field '{}': this field takes no unit; column ignored", column.header);
}

bool claims_unique_slot(const Column& column, std::span<const Column> earlier) {
  for (const auto& other : earlier) {
    if (other.kind != column.kind) continue;
    switch (column.kind) {
      case ColumnKind::metric:
        if (other.metric == column.metric) return false;
        break;
      case ColumnKind::device_property:
        if (other.device_field == column.device_field) return false;
        break;
      case ColumnKind::throttle_bit:
        if (other.throttle_bit == column.throttle_bit) return false;
        break;
      case ColumnKind::ignored:
        break;
      default:
        return false;
    }
  }
  return true;
}

}  // namespace

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool is_absent(std::string_view trimmed) {
  if (trimmed.empty() || trimmed == "N/A") return true;
  return trimmed.size() >= 2 && trimmed.front() == '[' && trimmed.back() == ']';
}

Schema parse_header(std::string_view line) {
  constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
  if (line.starts_with(kUtf8Bom)) line.remove_prefix(kUtf8Bom.size());
  Schema schema;
  std::size_t start = 0;
  while (start <= line.size()) {
    const std::size_t comma = std::min(line.find(',', start), line.size());
    Column column;
    column.header = std::string(trim(line.substr(start, comma - start)));
    std::string_view name = column.header;
    if (const auto open = name.find('['); open != std::string_view::npos && name.back() == ']') {
      column.header_unit = std::string(trim(name.substr(open + 1, name.size() - open - 2)));
      name = trim(name.substr(0, open));
    }
    classify(name, column);
    if (std::string problem = apply_header_unit(column); !problem.empty()) {
      schema.header_problems.push_back(std::move(problem));
      column.kind = ColumnKind::ignored;
    } else if (!claims_unique_slot(column, schema.columns)) {
      schema.header_problems.push_back(
          fmt::format("field '{}': duplicates an earlier column; column ignored", column.header));
      column.kind = ColumnKind::ignored;
    }
    const int position = static_cast<int>(schema.columns.size());
    switch (column.kind) {
      case ColumnKind::ignored:
        schema.ignored_columns.push_back(column.header);
        break;
      case ColumnKind::timestamp:
        schema.timestamp_column = position;
        break;
      case ColumnKind::index:
        schema.index_column = position;
        break;
      case ColumnKind::uuid:
        schema.uuid_column = position;
        break;
      case ColumnKind::metric:
      case ColumnKind::throttle_bit:
      case ColumnKind::throttle_mask:
        ++schema.metric_columns;
        break;
      default:
        break;
    }
    schema.columns.push_back(std::move(column));
    start = comma + 1;
  }
  return schema;
}

namespace {

// What a real GPU can read, in the canonical unit: generous bounds that still catch a value in the
// wrong unit (mW under [W]) or garbage. Energy counters and percentages have their own checks.
struct Range {
  double low, high;
  std::string_view unit;
};
Range plausible_range(Quantity q) {
  switch (q) {
    case Quantity::watts:
      return {0, kMaxGpuPowerW, "W"};
    case Quantity::celsius:
      return {-60, 200, "C"};
    case Quantity::megahertz:
      return {0, kMaxGpuClockMhz, "MHz"};
    case Quantity::mebibytes:
      return {0, 64.0 * 1024 * 1024, "MiB"};  // 64 TiB
    default:
      return {-std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(), ""};
  }
}

}  // namespace

FieldValue parse_quantity(std::string_view text, const Column& column) {
  const std::string_view t = trim(text);
  if (is_absent(t)) return {};
  if (column.quantity == Quantity::pstate) {
    const std::string_view digits = t.starts_with('P') ? t.substr(1) : t;
    int level = -1;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), level);
    if (ec != std::errc() || end != digits.data() + digits.size() || level < 0 || level > 15) {
      return {std::nullopt, fmt::format("invalid pstate '{}' (expected P0..P15)", t)};
    }
    return {static_cast<double>(level), {}};
  }
  double number = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), number);
  if (ec != std::errc() || end == t.data() || !std::isfinite(number)) {
    return {std::nullopt, fmt::format("invalid number '{}'", t)};
  }
  const std::string_view unit = trim(std::string_view(end, t.data() + t.size() - end));
  double factor = column.header_factor;
  if (!unit.empty() && unit != column.header_unit) {
    const auto value_factor = factor_of(column.quantity, unit);
    if (!value_factor) {
      return {std::nullopt, fmt::format("unit '{}' in '{}' is not a {} unit (use {})", unit, t,
                                        info_of(column.quantity).name, unit_list(column.quantity))};
    }
    factor = *value_factor;
  }
  if (number < 0 && column.quantity != Quantity::celsius) {
    return {std::nullopt, fmt::format("negative value '{}'", t)};
  }
  const double value = number * factor;
  if (column.quantity == Quantity::percent && value > 100.0) {
    return {std::nullopt, fmt::format("percentage above 100: '{}'", t)};
  }
  if (const auto [low, high, unit] = plausible_range(column.quantity); value < low || value > high) {
    return {std::nullopt,
            fmt::format("implausible value '{}' (a GPU reads {:g}..{:g} {}; wrong unit?)", t, low, high, unit)};
  }
  return {value, {}};
}

std::optional<bool> parse_throttle_flag(std::string_view text, std::string& error) {
  const std::string_view t = trim(text);
  if (t == "Active") return true;
  if (t == "Not Active") return false;
  if (!is_absent(t)) error = fmt::format("expected 'Active' or 'Not Active', got '{}'", t);
  return std::nullopt;
}

std::optional<std::uint64_t> parse_throttle_mask(std::string_view text, std::string& error) {
  const std::string_view t = trim(text);
  if (is_absent(t)) return std::nullopt;
  if (t.size() > 2 && (t.starts_with("0x") || t.starts_with("0X"))) {
    std::uint64_t mask = 0;
    const auto [end, ec] = std::from_chars(t.data() + 2, t.data() + t.size(), mask, 16);
    if (ec == std::errc() && end == t.data() + t.size()) return mask;
  }
  error = fmt::format("expected a hex mask such as 0x0000000000000004, got '{}'", t);
  return std::nullopt;
}

}  // namespace gpuopt::csv
