// Resolution of a --gpu selector against the devices of a store (pure; no I/O).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "gpuopt/store.hpp"

namespace gpuopt::store {

// In order: "#ID" (a store device id); an exact UUID; a GPU index (all digits) when exactly one
// device has it; a UUID prefix matching exactly one device. Throws UsageError naming the
// store path and listing the candidates (id, UUID, origin) when nothing or several match.
const StoredDevice& select_device(std::span<const StoredDevice> devices, std::string_view selector,
                                  const std::string& store_path);

}  // namespace gpuopt::store
