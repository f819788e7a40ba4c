// Scripting the fake libnvidia-ml from a test or benchmark in the same process. FakeNvml
// dlopens the very file the NVML source is pointed at; the dynamic loader hands both the same
// handle, so a configuration set here is what the source reads. Header-only; link ${CMAKE_DL_LIBS}.
#pragma once

#include <dlfcn.h>

#include <memory>
#include <stdexcept>
#include <string>

// Exported by every fake variant (fake_nvml.cpp).
using fake_nvml_configure_fn = int (*)(const char* json);                    // 0 = ok, -1 = bad config
using fake_nvml_last_error_fn = const char* (*)();                           // why the last configure failed
using fake_nvml_call_count_fn = unsigned long long (*)(const char* symbol);  // since last configure

namespace fake_nvml {

class FakeNvml {
 public:
  // Throws std::runtime_error when the file cannot be loaded.
  explicit FakeNvml(const std::string& path)
      : path_(path), handle_(dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL), &dlclose) {
    if (handle_ == nullptr) throw std::runtime_error("cannot load the fake NVML " + path + ": " + dlerror());
    configure_ = symbol<fake_nvml_configure_fn>("fake_nvml_configure");
    last_error_ = symbol<fake_nvml_last_error_fn>("fake_nvml_last_error");
    call_count_ = symbol<fake_nvml_call_count_fn>("fake_nvml_call_count");
  }
  FakeNvml(const FakeNvml&) = delete;
  FakeNvml& operator=(const FakeNvml&) = delete;

  // Replaces the scripted GPUs (README.md); throws std::runtime_error with the fake's reason.
  void configure(const std::string& json) const {
    if (configure_(json.c_str()) != 0) throw std::runtime_error(last_error_());
  }

  // How often `symbol` ("nvmlInit_v2", ...) was called since the last configure().
  unsigned long long calls(const char* symbol) const { return call_count_(symbol); }

  const std::string& path() const { return path_; }

  // An exported function of the fake, e.g. to time the NVML calls themselves; throws
  // std::runtime_error when this build lacks it.
  template <typename Fn>
  Fn symbol(const char* name) const {
    void* address = dlsym(handle_.get(), name);
    if (address == nullptr) throw std::runtime_error(path_ + " lacks " + name);
    return reinterpret_cast<Fn>(address);
  }

 private:
  std::string path_;
  std::unique_ptr<void, int (*)(void*)> handle_;
  fake_nvml_configure_fn configure_ = nullptr;
  fake_nvml_last_error_fn last_error_ = nullptr;
  fake_nvml_call_count_fn call_count_ = nullptr;
};

}  // namespace fake_nvml
