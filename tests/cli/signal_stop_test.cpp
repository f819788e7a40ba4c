// `gpuopt collect` and `gpuopt serve` stop cleanly on SIGINT/SIGTERM: exit code 0, everything
// sampled so far in the store, and a collect.stop event.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gpuopt/store.hpp"

extern char** environ;

namespace gpuopt {
namespace {

namespace fs = std::filesystem;

class SignalStop : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gpuopt-signal-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string db() const { return (dir_ / "t.db").string(); }

  // True once process `pid` has a handler for `signal` (SigCgt of /proc/PID/status).
  static bool catches(pid_t pid, int signal) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("SigCgt:", 0) != 0) continue;
      const unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
      return ((mask >> (signal - 1)) & 1ULL) != 0;
    }
    return false;
  }

  // Starts gpuopt with `args`, waits until it handles `signal` and then `run_for`, sends `signal`
  // and returns the exit status.
  int run_and_signal(std::vector<std::string> args, std::chrono::milliseconds run_for, int signal) {
    args.insert(args.begin(), GPUOPT_BIN);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log = (dir_ / "log").string();
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, GPUOPT_BIN, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return -1;
    // Loading the binary's libraries (libtorch) can take longer than run_for on a loaded machine:
    // start the clock once the process catches the signal.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!catches(pid, signal) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(run_for);
    kill(pid, signal);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  fs::path dir_;
};

TEST_F(SignalStop, CollectFlushesEverythingOnSigint) {
  const int code = run_and_signal({"--db", db(), "collect", "--source", "sim:2", "--interval", "20ms",
                                   "--nvml-lib", (dir_ / "none.so").string()},
                                  std::chrono::milliseconds(800), SIGINT);
  ASSERT_EQ(code, 0);
  Store store = Store::open(db(), Store::Mode::read_only);
  const auto devices = store.devices();
  ASSERT_EQ(devices.size(), 2u);
  // Stopped before the first periodic flush (1 s): what is stored was flushed on the signal.
  EXPECT_GT(devices[0].sample_count, 10);
  const auto events = store.events(0, now_ms() + 1000, {}, "collect.");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, "collect.start");
  EXPECT_EQ(events[1].kind, "collect.stop");
  EXPECT_EQ(events[1].severity, "info");
}

TEST_F(SignalStop, ServeFlushesTheStoreOnSigterm) {
  const int code = run_and_signal(
      {"--db", db(), "serve", "--listen", "127.0.0.1:0", "--source", "sim", "--interval", "20ms"},
      std::chrono::milliseconds(800), SIGTERM);
  ASSERT_EQ(code, 0);
  Store store = Store::open(db(), Store::Mode::read_only);
  const auto devices = store.devices();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_GT(devices[0].sample_count, 10);
  EXPECT_TRUE(devices[0].info.simulated);
}

}  // namespace
}  // namespace gpuopt
