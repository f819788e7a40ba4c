#include "device_selector.hpp"

#include <charconv>
#include <vector>

#include <fmt/format.h>

#include "gpuopt/error.hpp"

namespace gpuopt::store {
namespace {

std::optional<std::int64_t> parse_number(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

std::string describe(const std::vector<const StoredDevice*>& devices) {
  std::string out;
  for (const StoredDevice* d : devices) {
    if (!out.empty()) out += ", ";
    out += fmt::format("#{} {} ({})", d->id, d->info.uuid, d->origin);
  }
  return out;
}

template <typename Pred>
std::vector<const StoredDevice*> matching(std::span<const StoredDevice> devices, Pred pred) {
  std::vector<const StoredDevice*> out;
  for (const StoredDevice& d : devices) {
    if (pred(d)) out.push_back(&d);
  }
  return out;
}

}  // namespace

const StoredDevice& select_device(std::span<const StoredDevice> devices, std::string_view selector,
                                  const std::string& store_path) {
  if (devices.empty()) throw UsageError(fmt::format("{} holds no devices yet", store_path));
  const auto all = matching(devices, [](const StoredDevice&) { return true; });
  if (selector.starts_with('#')) {
    const auto id = parse_number(selector.substr(1));
    const auto found = matching(devices, [&](const StoredDevice& d) { return id && d.id == *id; });
    if (found.size() == 1) return *found.front();
    throw UsageError(fmt::format("GPU '{}': no device with that id in {}; devices: {}", selector,
                                 store_path, describe(all)));
  }
  if (const auto exact = matching(devices, [&](const StoredDevice& d) { return d.info.uuid == selector; });
      exact.size() == 1) {
    return *exact.front();
  }
  if (const auto index = parse_number(selector)) {
    const auto found = matching(devices, [&](const StoredDevice& d) { return d.info.index == *index; });
    if (found.size() == 1) return *found.front();
    if (found.size() > 1) {
      throw UsageError(fmt::format("GPU '{}': {} devices have index {}; choose one by id or UUID: {}",
                                   selector, found.size(), *index, describe(found)));
    }
  }
  const auto prefixed = matching(
      devices, [&](const StoredDevice& d) { return !selector.empty() && d.info.uuid.starts_with(selector); });
  if (prefixed.size() == 1) return *prefixed.front();
  if (prefixed.size() > 1) {
    throw UsageError(fmt::format("GPU '{}' is ambiguous: it matches {}", selector, describe(prefixed)));
  }
  throw UsageError(
      fmt::format("GPU '{}': no such device in {}; devices: {}", selector, store_path, describe(all)));
}

}  // namespace gpuopt::store
