// Error types thrown by gpuopt. Catch them only at the edges (CLI main, HTTP handler,
// one sampler iteration) and turn them into an exit code / HTTP status and one clear line.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace gpuopt {

// Base class of every error gpuopt throws on purpose. what() is one line, ready to print.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad command-line input or settings (unknown name, out-of-range value). CLI exit code 2.
class UsageError : public Error {
 public:
  using Error::Error;
};

// Malformed input data. what() reads "FILE:LINE: field 'F': reason" (parts left out when unknown).
class ParseError : public Error {
 public:
  ParseError(std::string file, std::size_t line, std::string field, const std::string& reason);

  const std::string& file() const { return file_; }
  std::size_t line() const { return line_; }  // 1-based; 0 = not tied to a line
  const std::string& field() const { return field_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string file_;
  std::size_t line_;
  std::string field_;
  std::string reason_;
};

// The sample store cannot be opened, is not a gpuopt store, or an SQL statement failed.
class StoreError : public Error {
 public:
  using Error::Error;
};

// NVML is missing, failed to initialize, or a call failed in a way that is not "not supported".
class NvmlError : public Error {
 public:
  using Error::Error;
};

// A remote service (Prometheus HTTP API) failed or answered something unexpected.
class RemoteError : public Error {
 public:
  using Error::Error;
};

}  // namespace gpuopt
