// Debian's Prometheus scrapes `gpuopt serve` (replaying a constant trace), answers queries with
// dcgm-exporter's names and labels, and import_prometheus brings the history back into a store.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "gpuopt/error.hpp"
#include "gpuopt/prometheus_import.hpp"
#include "gpuopt/server.hpp"
#include "gpuopt/store.hpp"
#include "gpuopt/telemetry.hpp"
#include "http_client.hpp"
#include "prometheus_response.hpp"
#include "serve_thread.hpp"
#include "server_test_util.hpp"

extern char** environ;

namespace gpuopt {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kPrometheus = "/usr/bin/prometheus";
constexpr const char* kUuid0 = "GPU-11111111-2222-3333-4444-555555555555";
constexpr const char* kUuid1 = "GPU-66666666-7777-8888-9999-000000000000";
constexpr const char* kModel = "NVIDIA A100-SXM4-40GB";

// Two GPUs with constant readings, so every scrape sees the same values.
void write_trace(const std::filesystem::path& path) {
  std::ofstream out(path);
  out << "timestamp, index, name, uuid, power.draw [W], utilization.gpu [%], memory.used [MiB], "
         "temperature.gpu, clocks.gr [MHz]\n";
  for (int second = 0; second < 5; ++second) {
    out << "2025/07/27 00:00:0" << second << ".000, 0, " << kModel << ", " << kUuid0
        << ", 123.45 W, 67 %, 1024 MiB, 55, 1410 MHz\n";
    out << "2025/07/27 00:00:0" << second << ".000, 1, " << kModel << ", " << kUuid1
        << ", 250.00 W, 100 %, 30000 MiB, 71, 1395 MHz\n";
  }
}

// A port nothing listens on right now (the kernel's choice for an ephemeral bind).
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The Prometheus child process; terminated (then killed) and reaped in every case.
class PrometheusProcess {
 public:
  PrometheusProcess(const std::filesystem::path& dir, int port, int target_port)
      : log_(dir / "prometheus.log") {
    const auto config = dir / "prometheus.yml";
    std::ofstream(config) << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                          << "scrape_configs:\n  - job_name: gpuopt\n    static_configs:\n"
                          << "      - targets: ['127.0.0.1:" << target_port << "']\n";
    std::vector<std::string> args{kPrometheus, "--config.file=" + config.string(),
                                  "--storage.tsdb.path=" + (dir / "tsdb").string(),
                                  "--web.listen-address=127.0.0.1:" + std::to_string(port)};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    if (posix_spawn(&pid_, kPrometheus, &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~PrometheusProcess() {
    if (pid_ <= 0 || exited()) return;
    kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + 5s;
    while (!exited() && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
    if (!exited()) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  PrometheusProcess(const PrometheusProcess&) = delete;
  PrometheusProcess& operator=(const PrometheusProcess&) = delete;

  bool started() const { return pid_ > 0; }
  bool exited() {
    if (reaped_) return true;
    reaped_ = waitpid(pid_, nullptr, WNOHANG) == pid_;
    return reaped_;
  }
  std::string log() const { return read_file(log_); }

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// Polls an instant query until it returns `series` series or `timeout` passes.
std::vector<server::PromSeries> wait_for_series(const server::HttpUrl& prom, const std::string& query,
                                                std::size_t series, std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::vector<server::PromSeries> result;
  while (Clock::now() < deadline) {
    const auto answer = server::http_get(prom, "/api/v1/query", {{"query", query}}, 2s);
    if (answer.status == 200) {
      result = server::parse_prometheus_answer(answer.body, "query " + query);
      if (result.size() >= series) return result;
    }
    std::this_thread::sleep_for(250ms);
  }
  return result;
}

const server::PromSeries* series_of_gpu(const std::vector<server::PromSeries>& all, const std::string& gpu) {
  for (const auto& s : all) {
    if (s.labels.at("gpu") == gpu) return &s;
  }
  return nullptr;
}

TEST(PrometheusScrape, DcgmCompatibleSeriesRoundTrip) {
  if (!std::filesystem::exists(kPrometheus)) {
    if (std::getenv("CI") != nullptr)
      FAIL() << kPrometheus << " is missing; CI must run this test (apt-get install prometheus)";
    GTEST_SKIP() << kPrometheus
                 << " not installed (apt-get install prometheus); set CI=1 to make this a failure";
  }
  const EpochMs test_start_ms = now_ms();
  const test::TempDir dir;
  write_trace(dir.path() / "trace.csv");
  SourceOptions source_options;
  source_options.replay_loop = true;
  const auto source = open_source("replay:" + (dir.path() / "trace.csv").string(), source_options);
  ServeOptions serve_options;
  serve_options.port = 0;
  serve_options.sampler.interval = 200ms;
  serve_options.hostname = "itest-host";
  const test::ServeThread serve(*source, serve_options);

  const int prom_port = free_port();
  PrometheusProcess prometheus(dir.path(), prom_port, serve.port());
  ASSERT_TRUE(prometheus.started()) << "cannot start " << kPrometheus;
  const server::HttpUrl prom = server::parse_http_url("http://127.0.0.1:" + std::to_string(prom_port));

  const auto ready_deadline = Clock::now() + 15s;
  bool ready = false;
  while (!ready && Clock::now() < ready_deadline && !prometheus.exited()) {
    try {
      ready = server::http_get(prom, "/-/ready", {}, 1s).status == 200;
    } catch (const RemoteError&) {
    }
    if (!ready) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(ready) << "Prometheus not ready; its log:\n" << prometheus.log();

  // The first scrape comes a few seconds after start.
  const auto power = wait_for_series(prom, "DCGM_FI_DEV_POWER_USAGE", 2, 25s);
  ASSERT_EQ(power.size(), 2U) << "no scrape arrived; Prometheus log:\n" << prometheus.log();
  const server::PromSeries* gpu0 = series_of_gpu(power, "0");
  ASSERT_NE(gpu0, nullptr);
  EXPECT_EQ(gpu0->points.at(0).second, 123.45);
  EXPECT_EQ(gpu0->labels.at("UUID"), kUuid0);
  EXPECT_EQ(gpu0->labels.at("device"), "nvidia0");
  EXPECT_EQ(gpu0->labels.at("modelName"), kModel);
  EXPECT_EQ(gpu0->labels.at("Hostname"), "itest-host");
  EXPECT_EQ(gpu0->labels.at("job"), "gpuopt");
  EXPECT_EQ(gpu0->labels.at("instance"), "127.0.0.1:" + std::to_string(serve.port()));
  const server::PromSeries* gpu1 = series_of_gpu(power, "1");
  ASSERT_NE(gpu1, nullptr);
  EXPECT_EQ(gpu1->points.at(0).second, 250);

  const auto util = wait_for_series(prom, "DCGM_FI_DEV_GPU_UTIL{gpu=\"1\"}", 1, 5s);
  ASSERT_EQ(util.size(), 1U);
  EXPECT_EQ(util[0].points.at(0).second, 100);
  const auto clock = wait_for_series(prom, "gpuopt_graphics_clock_mhz{gpu=\"0\"}", 1, 5s);
  ASSERT_EQ(clock.size(), 1U);
  EXPECT_EQ(clock[0].points.at(0).second, 1410);
  const auto up = wait_for_series(prom, "up{job=\"gpuopt\"}", 1, 5s);
  ASSERT_EQ(up.size(), 1U);
  EXPECT_EQ(up[0].points.at(0).second, 1);  // the scrape parsed cleanly

  std::this_thread::sleep_for(2s);  // a few more scrapes of history
  Store store = Store::open((dir.path() / "imported.db").string());
  PrometheusImportOptions import;
  import.url = "http://127.0.0.1:" + std::to_string(prom_port);
  import.query = R"({__name__=~"DCGM_FI_DEV_.*|gpuopt_.*"})";
  import.from_ms = test_start_ms;
  import.to_ms = now_ms();
  import.step = 1s;
  const PrometheusImportResult result = import_prometheus(store, import);
  EXPECT_EQ(result.devices, 2);
  EXPECT_GE(result.samples, 4);
  EXPECT_GT(result.series_skipped, 0);  // gpuopt_samples_total and friends are not GPU metrics

  const StoredDevice d0 = store.find_device(kUuid0);
  EXPECT_EQ(d0.info.name, kModel);
  EXPECT_EQ(d0.origin, "prometheus:" + import.url);
  const auto stored_power =
      store.query(SeriesQuery{d0.id, Metric::power_w, import.from_ms, import.to_ms + 1});
  ASSERT_GE(stored_power.size(), 2U);
  for (const Point& p : stored_power) EXPECT_EQ(p.value, 123.45);
  const auto stored_mem = store.query(
      SeriesQuery{store.find_device(kUuid1).id, Metric::mem_used_mib, import.from_ms, import.to_ms + 1});
  ASSERT_FALSE(stored_mem.empty());
  EXPECT_EQ(stored_mem.back().value, 30000);
}

}  // namespace
}  // namespace gpuopt
