#include "guarded_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "http_types.hpp"

namespace gpuopt::server {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

milliseconds timeout_of(time_t sec, time_t usec) { return milliseconds(sec * 1000 + usec / 1000); }

// poll() on one socket for `events`, retried on EINTR: > 0 ready, 0 timed out, < 0 error.
int wait_for(socket_t sock, short events, milliseconds timeout) {
  pollfd fd{sock, events, 0};
  const auto ms = static_cast<int>(std::clamp<milliseconds::rep>(timeout.count(), 0, 1'000'000));
  int ready = 0;
  do {
    ready = poll(&fd, 1, ms);
  } while (ready < 0 && errno == EINTR);
  return ready;
}

// The peer has not closed: nothing to read, or something to read (not the end of the stream).
bool peer_open(socket_t sock) {
  if (wait_for(sock, POLLIN, milliseconds(0)) == 0) return true;
  char byte = 0;
  ssize_t n = 0;
  do {
    n = recv(sock, &byte, 1, MSG_PEEK);
  } while (n < 0 && errno == EINTR);
  return n > 0;
}

std::string address_and_port(socket_t sock, bool peer, int& port) {
  sockaddr_storage addr{};
  socklen_t length = sizeof(addr);
  auto* raw = reinterpret_cast<sockaddr*>(&addr);
  port = 0;
  if ((peer ? getpeername(sock, raw, &length) : getsockname(sock, raw, &length)) != 0) return "";
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (addr.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&addr);
    port = ntohs(v4->sin_port);
    if (inet_ntop(AF_INET, &v4->sin_addr, text.data(), text.size()) == nullptr) return "";
  } else if (addr.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    port = ntohs(v6->sin6_port);
    if (inet_ntop(AF_INET6, &v6->sin6_addr, text.data(), text.size()) == nullptr) return "";
  } else {
    return "";
  }
  return text.data();
}

// A whole answer of the agent's JSON error, closing the connection.
std::string error_answer(int status, const char* reason, std::string_view message) {
  const HttpResponse r = error_response(status, message);
  return fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", status,
      reason, r.content_type, r.body.size(), r.body);
}

// Writes all of `data` within `timeout` (best effort: the connection is closed after it).
void send_all(socket_t sock, std::string_view data, milliseconds timeout) {
  const auto until = Clock::now() + timeout;
  while (!data.empty()) {
    const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
    if (left.count() <= 0 || wait_for(sock, POLLOUT, left) <= 0) return;
    const ssize_t n = send(sock, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Closes the write side and reads what the client still sends for a moment: after an answer sent
// before the request was read whole, unread bytes would make close() reset the connection, and
// the client could lose the answer.
void drain_briefly(socket_t sock) {
  shutdown(sock, SHUT_WR);
  const auto until = Clock::now() + milliseconds(200);
  std::array<char, 4096> sink{};
  while (Clock::now() < until && wait_for(sock, POLLIN, milliseconds(50)) > 0) {
    if (recv(sock, sink.data(), sink.size(), 0) <= 0) break;
  }
}

// Sends an answer given before the request was read whole, then drains (see drain_briefly).
void answer_early(socket_t sock, std::string_view answer, milliseconds timeout) {
  send_all(sock, answer, timeout);
  drain_briefly(sock);
}

// httplib's SocketStream (0.11.4: buffered reads, each waiting at most the read timeout) with a
// deadline for the whole request: a read once it has passed fails, and the stream keeps quiet
// after it (the caller answers 408 instead of httplib's 400 for a cut-off request).
class DeadlineStream final : public httplib::Stream {
 public:
  DeadlineStream(socket_t sock, Clock::time_point deadline, milliseconds read_timeout,
                 milliseconds write_timeout)
      : sock_(sock), deadline_(deadline), read_timeout_(read_timeout), write_timeout_(write_timeout) {}

  bool late() const { return late_; }

  bool is_readable() const override {
    const auto left = std::chrono::ceil<milliseconds>(deadline_ - Clock::now());
    const bool until_deadline = left <= read_timeout_;
    if (left.count() > 0 && wait_for(sock_, POLLIN, until_deadline ? left : read_timeout_) > 0) return true;
    late_ = until_deadline;  // else the read timeout passed first: httplib's own error
    return false;
  }

  bool is_writable() const override {
    return !late_ && wait_for(sock_, POLLOUT, write_timeout_) > 0 && peer_open(sock_);
  }

  ssize_t read(char* ptr, size_t size) override {
    if (offset_ < filled_) {
      const std::size_t n = std::min(size, filled_ - offset_);
      std::memcpy(ptr, buffer_.data() + offset_, n);
      offset_ += n;
      return static_cast<ssize_t>(n);
    }
    if (!is_readable()) return -1;
    offset_ = filled_ = 0;
    if (size >= buffer_.size()) return receive(ptr, size);
    const ssize_t n = receive(buffer_.data(), buffer_.size());
    if (n <= 0) return n;
    const auto got = static_cast<std::size_t>(n);
    const std::size_t give = std::min(size, got);
    std::memcpy(ptr, buffer_.data(), give);
    offset_ = give;
    filled_ = got;
    return static_cast<ssize_t>(give);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n = 0;
    do {
      n = send(sock_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = address_and_port(sock_, true, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = address_and_port(sock_, false, port);
  }
  socket_t socket() const override { return sock_; }

 private:
  ssize_t receive(char* ptr, std::size_t size) {
    ssize_t n = 0;
    do {
      n = recv(sock_, ptr, size, 0);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  const socket_t sock_;
  const Clock::time_point deadline_;
  const milliseconds read_timeout_;
  const milliseconds write_timeout_;
  mutable bool late_ = false;
  std::vector<char> buffer_ = std::vector<char>(4096);
  std::size_t offset_ = 0;  // next unread byte of buffer_
  std::size_t filled_ = 0;  // bytes in buffer_
};

}  // namespace

GuardedServer::GuardedServer(milliseconds request_timeout, std::size_t max_per_client)
    : request_timeout_(request_timeout), max_per_client_(std::max<std::size_t>(1, max_per_client)) {}

bool GuardedServer::admit(const std::string& address) {
  std::lock_guard lock(mutex_);
  std::size_t& open = open_[address];
  if (open >= max_per_client_) return false;
  ++open;
  return true;
}

void GuardedServer::release(const std::string& address) {
  std::lock_guard lock(mutex_);
  const auto it = open_.find(address);
  if (it != open_.end() && --it->second == 0) open_.erase(it);
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  const milliseconds read_timeout = timeout_of(read_timeout_sec_, read_timeout_usec_);
  const milliseconds write_timeout = timeout_of(write_timeout_sec_, write_timeout_usec_);
  int port = 0;
  const std::string address = address_and_port(sock, true, port);
  bool served = false;
  if (!admit(address)) {
    answer_early(sock,
                 error_answer(503, "Service Unavailable",
                              fmt::format("too many connections from {} (at most {} at once)", address,
                                          max_per_client_)),
                 write_timeout);
  } else {
    // httplib's keep-alive loop: wait up to the keep-alive timeout for each next request.
    const milliseconds keep_alive(keep_alive_timeout_sec_ * 1000);
    for (std::size_t left = std::max<std::size_t>(1, keep_alive_max_count_); left > 0; --left) {
      const auto idle_until = Clock::now() + keep_alive;
      int ready = 0;
      while (svr_sock_ != INVALID_SOCKET && Clock::now() < idle_until &&
             (ready = wait_for(sock, POLLIN, milliseconds(50))) == 0) {
      }
      if (ready <= 0 || svr_sock_ == INVALID_SOCKET) break;
      DeadlineStream stream(sock, Clock::now() + request_timeout_, read_timeout, write_timeout);
      bool closed = false;
      served = process_request(stream, left == 1, closed, nullptr);
      if (stream.late()) {
        answer_early(sock,
                     error_answer(408, "Request Timeout",
                                  fmt::format("the request did not arrive within {} s of its first byte",
                                              request_timeout_.count() / 1000.0)),
                     write_timeout);
        served = false;
      }
      if (!served || closed) break;
    }
    release(address);
  }
  shutdown(sock, SHUT_RDWR);
  close(sock);
  return served;
}

}  // namespace gpuopt::server
