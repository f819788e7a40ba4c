// run_serve on a background thread for tests: waits until it listens, stops it on destruction.
#pragma once

#include <atomic>
#include <chrono>
#include <exception>
#include <future>
#include <map>
#include <string>
#include <thread>

#include "gpuopt/server.hpp"
#include "http_client.hpp"

namespace gpuopt::test {

class ServeThread {
 public:
  // Returns once the server accepts connections; rethrows what run_serve threw before that.
  ServeThread(TelemetrySource& source, const ServeOptions& options) {
    std::promise<std::string> listening;
    std::future<std::string> url = listening.get_future();
    thread_ = std::thread([this, &source, options, p = std::move(listening)]() mutable {
      bool announced = false;
      try {
        run_serve(source, options, stop_, [&](const std::string& u) {
          announced = true;
          p.set_value(u);
        });
      } catch (...) {
        if (!announced) p.set_exception(std::current_exception());
      }
    });
    try {
      url_ = server::parse_http_url(url.get());
    } catch (...) {
      thread_.join();
      throw;
    }
  }
  ~ServeThread() {
    stop_ = true;
    thread_.join();
  }
  ServeThread(const ServeThread&) = delete;
  ServeThread& operator=(const ServeThread&) = delete;

  int port() const { return url_.port; }

  server::HttpGetResult get(const std::string& path,
                            const std::multimap<std::string, std::string>& params = {}) {
    return server::http_get(url_, path, params, std::chrono::seconds(2));
  }

  // Polls `path` until it answers `status` with `text` in the body (or 5 s pass).
  server::HttpGetResult wait_for(const std::string& path, int status, const std::string& text = "") {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    server::HttpGetResult r = get(path);
    while ((r.status != status || r.body.find(text) == std::string::npos) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      r = get(path);
    }
    return r;
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
  server::HttpUrl url_;
};

}  // namespace gpuopt::test
