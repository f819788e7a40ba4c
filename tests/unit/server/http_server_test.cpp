#include "http_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "gpuopt/error.hpp"
#include "http_client.hpp"
#include "server_test_util.hpp"

namespace gpuopt::server {
namespace {

using namespace std::chrono_literals;
using test::body_of;
using test::raw_http;
using test::status_of;

// A server on a free port with one GET and one POST route, counting requests per route.
class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/hello", "greets", [](const HttpRequest& req) {
      HttpResponse r;
      r.content_type = "text/plain";
      r.body = "hello " + single_param(req, "name").value_or("nobody");
      return r;
    });
    router_.add("POST", "/echo", "echoes the body", [](const HttpRequest& req) {
      return json_response(200, nlohmann::json{{"body", req.body}}.dump());
    });
    HttpServerOptions options;
    options.max_body_bytes = 1024;
    server_ = std::make_unique<HttpServer>(
        router_, [this](const std::string& route) { ++counts_[route]; }, options);
    port_ = server_->bind("127.0.0.1", 0);
    server_->start();
    url_ = parse_http_url("http://127.0.0.1:" + std::to_string(port_));
  }

  // Another server on the same routes with `options`, started; its port in `port`.
  std::unique_ptr<HttpServer> start_with(const HttpServerOptions& options, int& port) {
    auto server = std::make_unique<HttpServer>(router_, nullptr, options);
    port = server->bind("127.0.0.1", 0);
    server->start();
    return server;
  }

  // `n` connections that have sent the first line of a request and nothing more.
  static std::vector<std::unique_ptr<test::RawConnection>> trickling(int port, int n) {
    std::vector<std::unique_ptr<test::RawConnection>> out;
    for (int i = 0; i < n; ++i) {
      out.push_back(std::make_unique<test::RawConnection>(port));
      out.back()->send_only("GET /hello HTTP/1.1\r\n");
    }
    return out;
  }

  void expect_still_serving() {
    const HttpGetResult r = http_get(url_, "/hello", {{"name", "again"}}, 2s);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hello again");
  }

  static std::string json_error(const std::string& response) {
    return nlohmann::json::parse(body_of(response)).at("error").get<std::string>();
  }

  Router router_;
  std::map<std::string, int> counts_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
  HttpUrl url_;
};

TEST_F(HttpServerTest, GetWithParams) {
  const HttpGetResult r = http_get(url_, "/hello", {{"name", "a b&c"}}, 2s);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello a b&c");
  EXPECT_EQ(r.content_type, "text/plain");
}

TEST_F(HttpServerTest, HeadHasNoBody) {
  const std::string r =
      raw_http(port_, "HEAD /hello?name=x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(r), 200);
  EXPECT_EQ(body_of(r), "");
}

TEST_F(HttpServerTest, UnknownPathIs404Json) {
  const std::string r = raw_http(port_, "GET /etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(r), 404);
  EXPECT_NE(json_error(r).find("/etc/passwd"), std::string::npos);
  EXPECT_EQ(counts_["other"], 1);
}

TEST_F(HttpServerTest, WrongMethodsAre405) {
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "PATCH"}) {
    const std::string r = raw_http(port_, std::string(method) +
                                              " /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                                              "Connection: close\r\n\r\nhi");
    EXPECT_EQ(status_of(r), 405) << method << ": " << r;
    EXPECT_NE(r.find("Allow: GET, HEAD"), std::string::npos) << method;
  }
  std::string r = raw_http(port_, "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(r), 405);
  // Without Content-Length there is no body: answered at once, not after a read timeout.
  r = raw_http(port_, "POST /hello HTTP/1.1\r\nHost: x\r\n\r\n", 1000);
  EXPECT_EQ(status_of(r), 405) << r;
  expect_still_serving();
}

TEST_F(HttpServerTest, PostRouteGetsTheBody) {
  const std::string r = raw_http(port_,
                                 "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                 "text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_EQ(nlohmann::json::parse(body_of(r))["body"], "hello");
}

// A client that reuses its connection after a rejected POST gets the right next answer: the
// rejected body was consumed, not parsed as a request.
TEST_F(HttpServerTest, RejectedBodyKeepsTheConnectionInStep) {
  test::RawConnection connection(port_);
  std::string r = connection.exchange("POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nGET /x");
  EXPECT_EQ(status_of(r), 405) << r;
  r = connection.exchange("GET /hello?name=next HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_EQ(body_of(r), "hello next");
}

TEST_F(HttpServerTest, PostToUnknownPathIs404) {
  const std::string r =
      raw_http(port_, "POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
  EXPECT_EQ(status_of(r), 404) << r;
  EXPECT_NE(json_error(r).find("/nope"), std::string::npos);
}

TEST_F(HttpServerTest, OversizedBodyIs413) {
  const std::string body(4096, 'x');
  const std::string r =
      raw_http(port_, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\nConnection: close\r\n\r\n" + body);
  EXPECT_EQ(status_of(r), 413) << r;
  EXPECT_NE(json_error(r).find("1024 bytes"), std::string::npos);
  expect_still_serving();
}

// A chunked body would be read past max_body_bytes by httplib: refused before it is read.
TEST_F(HttpServerTest, ChunkedBodyIs411) {
  std::string chunks;
  for (int i = 0; i < 64; ++i) chunks += "40\r\n" + std::string(64, '[') + "\r\n";
  const std::string r = raw_http(port_,
                                 "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                 "Transfer-Encoding: chunked\r\n\r\n" +
                                     chunks + "0\r\n\r\n");
  EXPECT_EQ(status_of(r), 411) << r;
  // The unread chunks may follow as a malformed next request (400): check the first answer only.
  EXPECT_NE(r.find("{\"error\":\"chunked request bodies are not accepted: send Content-Length (at most 1024 "
                   "bytes)\"}"),
            std::string::npos)
      << r;
  expect_still_serving();
}

// Two Content-Length headers leave the body's end ambiguous: refused, not the first one used.
TEST_F(HttpServerTest, TwoContentLengthsAre400) {
  const std::string r = raw_http(port_,
                                 "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                 "Content-Length: 2\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{}");
  EXPECT_EQ(status_of(r), 400) << r;
  EXPECT_NE(json_error(r).find("more than one Content-Length"), std::string::npos) << r;
  expect_still_serving();
}

// curl -d sends application/x-www-form-urlencoded, which httplib would parse as form fields.
TEST_F(HttpServerTest, FormEncodedBodyIs415NamingTheFix) {
  const std::string r = raw_http(port_,
                                 "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                 "application/x-www-form-urlencoded\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(status_of(r), 415) << r;
  EXPECT_NE(json_error(r).find("Content-Type: application/json"), std::string::npos) << r;
  expect_still_serving();
}

// Slow clients each hold a thread until their request ends; threads are started as connections
// need them (up to max_connections, 512), so a hundred of them do not starve everyone else. The
// read timeout is long enough that none of them is cut off while the others connect; they all
// come from 127.0.0.1, so its share is raised.
TEST_F(HttpServerTest, AHundredTricklingClientsDoNotBlockOthers) {
  HttpServerOptions options;
  options.read_timeout = 120s;
  options.max_connections_per_client = 128;
  int port = 0;
  const std::unique_ptr<HttpServer> server = start_with(options, port);
  std::vector<std::unique_ptr<test::RawConnection>> slow = trickling(port, 100);
  const HttpGetResult r =
      http_get(parse_http_url("http://127.0.0.1:" + std::to_string(port)), "/hello", {{"name", "again"}}, 2s);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello again");
}

// The read timeout bounds each read only: a client sending a header line every 0.2 s never
// trips it, and used to hold its thread for as long as it went on. The request timeout bounds
// the whole request: 408, and the connection is closed.
TEST_F(HttpServerTest, ARequestNotInWithinTheRequestTimeoutGets408) {
  HttpServerOptions options;
  options.read_timeout = 5s;
  options.request_timeout = 1s;
  int port = 0;
  const std::unique_ptr<HttpServer> server = start_with(options, port);
  test::RawConnection slow(port, 3000);
  const auto start = std::chrono::steady_clock::now();
  slow.send_only("GET /hello HTTP/1.1\r\n");
  for (int i = 0; std::chrono::steady_clock::now() - start < 800ms; ++i) {
    std::this_thread::sleep_for(200ms);
    slow.send_only("X-Slow: " + std::to_string(i) + "\r\n");
  }
  const std::string r = slow.receive();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(status_of(r), 408) << r;
  EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
  EXPECT_NE(json_error(r).find("did not arrive within 1 s"), std::string::npos) << r;
  EXPECT_GE(elapsed, 900ms);
  EXPECT_LT(elapsed, 2500ms);
}

// One client address holds at most max_connections_per_client connections: the next one is
// answered 503 at once, while another address is served, and the share is free again once the
// client's connections close.
TEST_F(HttpServerTest, OneClientGetsAtMostItsShareOfConnections) {
  HttpServerOptions options;
  options.max_connections_per_client = 3;
  int port = 0;
  const std::unique_ptr<HttpServer> server = start_with(options, port);
  // A request on a fresh connection from 127.0.0.1, retried for up to 3 s until it gets `status`
  // (the server takes connections in on its own threads).
  const auto answer_within = [port](const std::string& name, int status) {
    std::string r;
    for (int attempt = 0; attempt < 30 && status_of(r) != status; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(100ms);
      r = raw_http(port, "GET /hello?name=" + name + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    }
    return r;
  };
  std::vector<std::unique_ptr<test::RawConnection>> held = trickling(port, 3);
  std::this_thread::sleep_for(500ms);  // the three are taken in before the next one comes
  const std::string refused = answer_within("a", 503);
  EXPECT_EQ(status_of(refused), 503) << refused;
  EXPECT_NE(json_error(refused).find("too many connections from 127.0.0.1 (at most 3 at once)"),
            std::string::npos)
      << refused;
  const std::string other =
      test::RawConnection(port, 3000, "127.0.0.2")
          .exchange("GET /hello?name=b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(other), 200) << other;
  EXPECT_EQ(body_of(other), "hello b");
  held.clear();
  const std::string again = answer_within("c", 200);
  EXPECT_EQ(status_of(again), 200) << again;
  EXPECT_EQ(body_of(again), "hello c");
}

TEST_F(HttpServerTest, HugeHeaderIsRejected) {
  const std::string r =
      raw_http(port_, "GET /hello?name=x HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') +
                          "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(r), 400) << r.substr(0, 200);
  expect_still_serving();
}

TEST_F(HttpServerTest, HugeRequestLineIsRejected) {
  const std::string r = raw_http(port_, "GET /hello?name=" + std::string(20000, 'a') +
                                            " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(r), 414) << r.substr(0, 200);
  expect_still_serving();
}

TEST_F(HttpServerTest, GarbageIsRejected) {
  for (const char* garbage : {"FOO / HTTP/1.1\r\n\r\n", "GET\r\n\r\n", "GET / HTTP/9.9\r\n\r\n"}) {
    const std::string r = raw_http(port_, garbage);
    EXPECT_EQ(status_of(r), 400) << r.substr(0, 200);
    EXPECT_FALSE(json_error(r).empty());
  }
  // A TLS ClientHello (https:// against this port) gets no answer and no crash.
  EXPECT_EQ(raw_http(port_, std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), 300), "");
  const std::string r = raw_http(port_, "GET /%zz%00%ff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(r), 404);
  expect_still_serving();
}

TEST_F(HttpServerTest, PortInUseIsAClearError) {
  HttpServer second(router_, {});
  try {
    second.bind("127.0.0.1", port_);
    FAIL() << "bound a port already in use";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("address already in use"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(std::to_string(port_)), std::string::npos);
  }
}

TEST_F(HttpServerTest, StopIsPromptAndIdempotent) {
  expect_still_serving();
  const auto start = std::chrono::steady_clock::now();
  server_->stop();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
  EXPECT_THROW(http_get(url_, "/hello", {{"name", "x"}}, 1s), RemoteError);
}

TEST(HttpUrl, Parsing) {
  HttpUrl u = parse_http_url("http://prom.example:9090/prefix/");
  EXPECT_EQ(u.host, "prom.example");
  EXPECT_EQ(u.port, 9090);
  EXPECT_EQ(u.base_path, "/prefix");
  EXPECT_EQ(u.text, "http://prom.example:9090/prefix");
  u = parse_http_url("http://[::1]:9090");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(parse_http_url("http://h").port, 80);
  for (const char* bad :
       {"https://h", "h:9090", "http://", "http://h:0", "http://h:99999", "http://h:x", "http://h/?q=1"}) {
    EXPECT_THROW(parse_http_url(bad), UsageError) << bad;
  }
}

TEST(HttpClient, ConnectionRefusedNamesTheUrl) {
  // Bind and release a port so nothing listens on it.
  int port = 0;
  {
    Router router;
    HttpServer s(router, {});
    port = s.bind("127.0.0.1", 0);
  }
  const HttpUrl url = parse_http_url("http://127.0.0.1:" + std::to_string(port));
  try {
    http_get(url, "/api/v1/query", {}, 1s);
    FAIL() << "no throw";
  } catch (const RemoteError& e) {
    EXPECT_NE(std::string(e.what()).find(url.text), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gpuopt::server
