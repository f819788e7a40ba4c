// Helpers shared by the server tests: a temporary directory and raw HTTP over a socket (for
// requests a well-behaved client library will not send).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <string>

namespace gpuopt::test {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("gpuopt-server-test-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// True once `response` holds a header block and as many body bytes as its Content-Length.
inline bool response_complete(const std::string& response) {
  const auto end = response.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  const auto at = response.find("Content-Length: ");
  if (at == std::string::npos || at > end) return false;
  const std::size_t length = std::stoul(response.substr(at + 16));
  return response.size() >= end + 4 + length;
}

// A client connection to 127.0.0.1:port that sends bytes verbatim. The write side stays open:
// httplib drops half-closed connections unanswered.
class RawConnection {
 public:
  // `from`: the client's own address (another loopback address, 127.0.0.2, is another client).
  explicit RawConnection(int port, int timeout_ms = 3000, const char* from = nullptr)
      : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0) return;
    timeval timeout{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    if (from != nullptr) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      inet_pton(AF_INET, from, &local.sin_addr);
      if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
        close(fd_);
        fd_ = -1;
        return;
      }
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Sends `request` and returns what comes back until one response is complete (by
  // Content-Length), the server closes, or the timeout passes. Empty if nothing came.
  std::string exchange(const std::string& request) {
    send_only(request);
    return receive();
  }

  // What comes back until one response is complete, the server closes, or the timeout passes.
  std::string receive() {
    if (fd_ < 0) return "";
    std::string response;
    char buffer[4096];
    ssize_t n = 0;
    while (!response_complete(response) && (n = recv(fd_, buffer, sizeof(buffer), 0)) > 0) {
      response.append(buffer, static_cast<std::size_t>(n));
    }
    return response;
  }

  // Sends bytes without waiting for an answer (a request sent in pieces).
  void send_only(const std::string& bytes) {
    std::size_t sent = 0;
    while (fd_ >= 0 && sent < bytes.size()) {
      const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
  }

 private:
  int fd_;
};

// One request on a fresh connection (see RawConnection::exchange).
inline std::string raw_http(int port, const std::string& request, int timeout_ms = 3000) {
  return RawConnection(port, timeout_ms).exchange(request);
}

// The status code of a raw HTTP/1.1 response ("HTTP/1.1 404 Not Found" -> 404), 0 if none.
inline int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

inline std::string body_of(const std::string& response) {
  const auto end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

}  // namespace gpuopt::test
