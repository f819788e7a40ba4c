// Store's private state, shared by the files that implement its methods.
#pragma once

#include <string>

#include "gpuopt/store.hpp"
#include "sqlite_db.hpp"

namespace gpuopt {

struct Store::Impl {
  Impl(const std::string& path, Mode mode);

  store::Database db;
};

}  // namespace gpuopt
