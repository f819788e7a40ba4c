#include "http_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "gpuopt/error.hpp"

namespace gpuopt::server {
namespace {

using namespace std::chrono_literals;

// A server that answers one request with headers at once and then a 400-byte body one byte every
// 20 ms (8 s in all): every socket read finishes well within the client's timeout.
class TricklingServer {
 public:
  TricklingServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listener_, 1);
    socklen_t size = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &size);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~TricklingServer() {
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  void serve() {
    const int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0) return;
    char request[4096];
    (void)::recv(client, request, sizeof request, 0);
    const std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n";
    bool open = ::send(client, head.data(), head.size(), MSG_NOSIGNAL) > 0;
    for (int i = 0; i < 400 && open; ++i) {
      std::this_thread::sleep_for(20ms);
      open = ::send(client, " ", 1, MSG_NOSIGNAL) > 0;
    }
    ::close(client);
  }

  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
};

// --timeout used to bound only each socket read, so a trickling server kept an import for as long
// as it liked.
TEST(HttpGet, ATricklingAnswerEndsAtTheTimeout) {
  TricklingServer server;
  const HttpUrl url = parse_http_url("http://127.0.0.1:" + std::to_string(server.port()));
  const auto start = std::chrono::steady_clock::now();
  try {
    http_get(url, "/api/v1/query_range", {{"query", "up"}}, 500ms);
    FAIL() << "no throw";
  } catch (const RemoteError& e) {
    EXPECT_NE(std::string(e.what()).find("took longer than the timeout (500 ms)"), std::string::npos)
        << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
}

}  // namespace
}  // namespace gpuopt::server
