#include "http_server.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>

#include "guarded_server.hpp"

namespace gpuopt::server {
namespace {

// Methods whose body httplib reads before dispatching; the other methods are answered by the
// pre-routing handler without touching the (absent) body.
bool may_have_body(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

HttpRequest to_request(const httplib::Request& req) {
  HttpRequest out;
  out.method = req.method;
  out.path = req.path;
  out.params.insert(req.params.begin(), req.params.end());
  out.body = req.body;
  return out;
}

void write_response(const HttpResponse& in, httplib::Response& res) {
  res.status = in.status;
  for (const auto& [name, value] : in.headers) res.set_header(name, value);
  res.set_content(in.body, in.content_type);
}

std::string literal_regex(const std::string& path) {
  std::string out;
  for (const char c : path) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string status_reason(int status, std::size_t max_body_bytes) {
  switch (status) {
    case 400:
      return "malformed request (or a header line longer than 8 KiB)";
    case 413:
      return fmt::format("request body larger than {} bytes", max_body_bytes);
    case 414:
      return "request line longer than 8 KiB";
    default:
      return fmt::format("HTTP error {}", status);
  }
}

// Bodies httplib would mishandle, refused before it reads them: a chunked body is read without the
// size limit (cpp-httplib 0.11), and a form-encoded one (curl -d's default type) is parsed as form
// fields and capped at 8 KiB, so a task JSON sent that way would fail with a misleading error.
// httplib 0.11 cannot close the connection from here: it reads the unread body as the next
// request, which fails as malformed (400) and ends the connection. No route changes state, so
// a request smuggled in such a body gains nothing a direct one would not.
std::optional<HttpResponse> refuse_body(const httplib::Request& req, std::size_t max_body_bytes) {
  std::optional<HttpResponse> out;
  if (req.has_header("Transfer-Encoding")) {
    out = error_response(411, fmt::format("chunked request bodies are not accepted: send Content-Length "
                                          "(at most {} bytes)",
                                          max_body_bytes));
  } else if (req.get_header_value_count("Content-Length") > 1) {
    // Which one frames the body is ambiguous (request smuggling through a proxy): RFC 9112 6.3.
    out = error_response(400, "more than one Content-Length header");
  } else {
    const std::string type = req.get_header_value("Content-Type");
    if (type.starts_with("application/x-www-form-urlencoded") || type.starts_with("multipart/form-data")) {
      out = error_response(415,
                           "the body must be JSON: send Content-Type: application/json "
                           "(curl: -H 'Content-Type: application/json')");
    }
  }
  return out;
}

// Only SO_REUSEADDR: httplib's default adds SO_REUSEPORT, which would let a second agent bind
// the same port silently instead of failing.
void reuse_address_only(socket_t sock) {
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

// httplib serves a connection on one worker thread from start to end. Its own pool starts a fixed
// number of threads, which a few clients trickling their requests in hold (up to the request
// timeout); this one starts a thread whenever a connection finds none idle, up to `max_threads`,
// and keeps it for later connections.
class GrowingPool final : public httplib::TaskQueue {
 public:
  explicit GrowingPool(std::size_t max_threads) : max_threads_(std::max<std::size_t>(1, max_threads)) {}
  GrowingPool(const GrowingPool&) = delete;
  GrowingPool& operator=(const GrowingPool&) = delete;
  ~GrowingPool() override = default;  // httplib calls shutdown() first

  void enqueue(std::function<void()> fn) override {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(fn));
    if (idle_ < jobs_.size() && threads_.size() < max_threads_) {
      try {
        threads_.emplace_back([this] { work(); });
      } catch (const std::system_error&) {
        if (threads_.empty()) throw;
        // Out of threads: the connection waits for a running one.
      }
    }
    ready_.notify_one();
  }

  // Serves the connections already accepted, then joins.
  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      shutdown_ = true;
    }
    ready_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

 private:
  void work() {
    std::unique_lock lock(mutex_);
    for (;;) {
      ++idle_;
      ready_.wait(lock, [this] { return !jobs_.empty() || shutdown_; });
      --idle_;
      if (jobs_.empty()) return;  // shut down
      std::function<void()> fn = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  const std::size_t max_threads_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;  // only grows, under mutex_ (shutdown() joins after the last enqueue)
  std::size_t idle_ = 0;              // threads waiting for a job
  bool shutdown_ = false;
};

}  // namespace

struct HttpServer::Impl {
  Impl(const Router& r, std::function<void(const std::string&)> count, const HttpServerOptions& o)
      : router(r),
        on_request(std::move(count)),
        options(o),
        svr(std::chrono::duration_cast<std::chrono::milliseconds>(o.request_timeout),
            o.max_connections_per_client) {}

  void configure();
  httplib::Server::HandlerResponse pre_route(const httplib::Request& req, httplib::Response& res);
  httplib::Server::HandlerResponse on_error(const httplib::Request& req, httplib::Response& res);

  const Router& router;
  std::function<void(const std::string&)> on_request;
  HttpServerOptions options;
  GuardedServer svr;
  std::thread thread;
  std::atomic<bool> listener_done{false};
  bool bound = false;
};

void HttpServer::Impl::configure() {
  svr.set_socket_options(reuse_address_only);
  svr.set_tcp_nodelay(true);  // headers and body are separate writes: no Nagle delay between them
  svr.set_payload_max_length(options.max_body_bytes);
  svr.set_read_timeout(options.read_timeout);
  svr.set_write_timeout(options.write_timeout);
  svr.set_keep_alive_timeout(options.keep_alive_timeout.count());
  // httplib's default pool (max(8, cores - 1) workers) is held by a handful of slow clients.
  svr.new_task_queue = [n = options.max_connections] { return new GrowingPool(n); };
  svr.set_pre_routing_handler(
      [this](const httplib::Request& req, httplib::Response& res) { return pre_route(req, res); });
  svr.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) { return on_error(req, res); }));
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res, const std::exception_ptr&) {
    write_response(error_response(500, "internal error"), res);
  });
  for (const Router::RouteInfo& route : router.routes()) {
    if (!may_have_body(route.method)) continue;
    const auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      write_response(router.dispatch(to_request(req)), res);
    };
    const std::string pattern = literal_regex(route.path);
    if (route.method == "POST") svr.Post(pattern, handler);
    if (route.method == "PUT") svr.Put(pattern, handler);
    if (route.method == "PATCH") svr.Patch(pattern, handler);
    if (route.method == "DELETE") svr.Delete(pattern, handler);
  }
}

httplib::Server::HandlerResponse HttpServer::Impl::pre_route(const httplib::Request& req,
                                                             httplib::Response& res) {
  if (on_request) on_request(router.route_label(req.path));
  // A request announcing a body is left to httplib, which reads it (up to max_body_bytes) and
  // then calls the literal route above or answers 404, which on_error turns into the router's
  // 404/405; either way the connection stays in step with the client. A request without
  // Content-Length or chunked encoding has no body (RFC 9112), so the router answers it now
  // instead of httplib waiting for the client to close.
  if (may_have_body(req.method)) {
    if (std::optional<HttpResponse> refused = refuse_body(req, options.max_body_bytes)) {
      write_response(*refused, res);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.has_header("Content-Length")) return httplib::Server::HandlerResponse::Unhandled;
  }
  write_response(router.dispatch(to_request(req)), res);
  return httplib::Server::HandlerResponse::Handled;
}

httplib::Server::HandlerResponse HttpServer::Impl::on_error(const httplib::Request& req,
                                                            httplib::Response& res) {
  if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
  if (res.status == 404 && may_have_body(req.method)) {
    write_response(router.dispatch(to_request(req)), res);
  } else {
    write_response(error_response(res.status, status_reason(res.status, options.max_body_bytes)), res);
  }
  return httplib::Server::HandlerResponse::Handled;
}

HttpServer::HttpServer(const Router& router, std::function<void(const std::string&)> on_request,
                       const HttpServerOptions& options)
    : impl_(std::make_unique<Impl>(router, std::move(on_request), options)) {
  impl_->configure();
}

HttpServer::~HttpServer() { stop(); }

int HttpServer::bind(const std::string& host, int port) {
  errno = 0;
  const int bound =
      port == 0 ? impl_->svr.bind_to_any_port(host) : (impl_->svr.bind_to_port(host, port) ? port : -1);
  if (bound > 0) {
    impl_->bound = true;
    return bound;
  }
  const int error = errno;
  if (error == EADDRINUSE) {
    throw UsageError(
        fmt::format("cannot listen on {}:{}: address already in use (another gpuopt serve or "
                    "exporter?); choose another with --listen",
                    host, port));
  }
  throw UsageError(fmt::format("cannot listen on {}:{}: {}", host, port,
                               error != 0 ? std::error_code(error, std::generic_category()).message()
                                          : "unknown host, or not an address of this machine"));
}

void HttpServer::start() {
  impl_->thread = std::thread([impl = impl_.get()] {
    impl->svr.listen_after_bind();
    impl->listener_done = true;
  });
  // httplib's stop() does nothing before the accept loop runs, so a stop() right after
  // start() would leave the listener blocked in accept(): wait until it runs.
  while (!impl_->svr.is_running() && !impl_->listener_done)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void HttpServer::stop() {
  // httplib closes the listening socket only from a running server.
  if (impl_->bound && !impl_->thread.joinable()) start();
  impl_->svr.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace gpuopt::server
