// Runs each tests/cli/cases/*.case through the gpuopt binary and compares stdout, stderr and the
// exit code with the expectations in the file.
//
// Case file format:
//   # comment lines
//   setup: ARGS          (any number; run first, must exit 0; output ignored)
//   env: NAME=VALUE      (any number; applies to setup and the checked run)
//   args: ARGS           (the checked run)
//   absent: PATH         (any number; must not exist after the checked run)
//   exit: N
//   --- stdout
//   expected lines
//   --- stderr
//   expected lines
// In ARGS and env values, @TMP@ is a fresh directory per case, @FIXTURES@ tests/cli/fixtures,
// @FAKE_NVML@ the directory of the fake libnvidia-ml.so builds, @DATA@ the shared data directory.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "data_dir.hpp"

namespace {

namespace fs = std::filesystem;

struct Case {
  std::vector<std::string> comments;
  std::vector<std::string> setup;
  std::vector<std::string> env;
  std::string args;
  std::vector<std::string> absent;
  int exit_code = 0;
  std::string stdout_text;
  std::string stderr_text;
  bool needs_data = false;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Case parse_case(const fs::path& path) {
  Case c;
  std::ifstream in(path);
  std::string line;
  std::string* section = nullptr;
  while (std::getline(in, line)) {
    if (line == "--- stdout") {
      section = &c.stdout_text;
    } else if (line == "--- stderr") {
      section = &c.stderr_text;
    } else if (section) {
      *section += line + "\n";
    } else if (line.starts_with("#") || line.empty()) {
      c.comments.push_back(line);
    } else if (line.starts_with("setup: ")) {
      c.setup.push_back(line.substr(7));
    } else if (line.starts_with("env: ")) {
      c.env.push_back(line.substr(5));
    } else if (line.starts_with("args: ")) {
      c.args = line.substr(6);
    } else if (line.starts_with("absent: ")) {
      c.absent.push_back(line.substr(8));
    } else if (line.starts_with("exit: ")) {
      c.exit_code = std::stoi(line.substr(6));
    } else {
      ADD_FAILURE() << path << ": unknown line: " << line;
    }
  }
  c.needs_data = c.args.find("@DATA@") != std::string::npos;
  for (const auto& s : c.setup) c.needs_data = c.needs_data || s.find("@DATA@") != std::string::npos;
  return c;
}

std::string substitute(std::string s, const fs::path& tmp) {
  const auto data = gpuopt::test::data_dir();
  const std::pair<std::string, std::string> vars[] = {
      {"@TMP@", tmp.string()},
      {"@FIXTURES@", CLI_FIXTURES_DIR},
      {"@FAKE_NVML@", FAKE_NVML_DIR},
      {"@DATA@", data ? data->string() : "/nonexistent-data-dir"}};
  for (const auto& [key, value] : vars) {
    for (auto pos = s.find(key); pos != std::string::npos; pos = s.find(key, pos + value.size())) {
      s.replace(pos, key.size(), value);
    }
  }
  return s;
}

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

RunResult run_gpuopt(const std::vector<std::string>& env, const std::string& args, const fs::path& tmp) {
  std::string cmd = "cd '" + tmp.string() + "' && env -u GPUOPT_NVML_LIBRARY GPUOPT_DB='" +
                    (tmp / "default.db").string() + "'";
  for (const auto& e : env) cmd += " '" + substitute(e, tmp) + "'";
  cmd += std::string(" '") + GPUOPT_BIN + "' " + substitute(args, tmp);
  cmd += " >'" + (tmp / "stdout").string() + "' 2>'" + (tmp / "stderr").string() + "' </dev/null";
  const int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(tmp / "stdout");
  r.err = read_file(tmp / "stderr");
  // Paths vary per checkout and run: show them by their placeholders.
  const std::pair<std::string, std::string> paths[] = {
      {tmp.string(), "@TMP@"}, {CLI_FIXTURES_DIR, "@FIXTURES@"}, {FAKE_NVML_DIR, "@FAKE_NVML@"}};
  for (std::string* s : {&r.out, &r.err}) {
    for (const auto& [path, placeholder] : paths) {
      for (auto pos = s->find(path); pos != std::string::npos; pos = s->find(path, pos)) {
        s->replace(pos, path.size(), placeholder);
      }
    }
  }
  return r;
}

void write_case(const fs::path& path, const Case& c, const RunResult& r) {
  std::ofstream out(path, std::ios::trunc);
  for (const auto& line : c.comments) out << line << "\n";
  for (const auto& e : c.env) out << "env: " << e << "\n";
  for (const auto& s : c.setup) out << "setup: " << s << "\n";
  out << "args: " << c.args << "\n";
  for (const auto& a : c.absent) out << "absent: " << a << "\n";
  out << "exit: " << r.exit_code << "\n";
  out << "--- stdout\n" << r.out;
  out << "--- stderr\n" << r.err;
}

class CliGolden : public ::testing::TestWithParam<fs::path> {};

TEST_P(CliGolden, MatchesExpectedOutput) {
  const fs::path path = GetParam();
  // A case deleted since the last build is still listed until the test is relinked.
  if (!fs::exists(path)) GTEST_SKIP() << path << " was removed";
  const Case c = parse_case(path);
  if (c.needs_data && !gpuopt::test::data_dir()) {
    if (gpuopt::test::data_required()) FAIL() << "GPUOPT_REQUIRE_DATA=1 but the data directory is missing";
    GTEST_SKIP() << "measured data not found: set GPUOPT_DATA_DIR to ../shared/data";
  }
  const fs::path tmp =
      fs::temp_directory_path() / ("gpuopt-cli-" + path.stem().string() + "-" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  for (const auto& s : c.setup) {
    const RunResult r = run_gpuopt(c.env, s, tmp);
    ASSERT_EQ(r.exit_code, 0) << "setup failed: " << s << "\n" << r.err;
  }
  const RunResult r = run_gpuopt(c.env, c.args, tmp);
  if (const char* update = std::getenv("GPUOPT_UPDATE_GOLDEN"); update && std::string(update) == "1") {
    write_case(path, c, r);
  } else {
    EXPECT_EQ(r.exit_code, c.exit_code) << "stderr:\n" << r.err;
    EXPECT_EQ(r.out, c.stdout_text);
    EXPECT_EQ(r.err, c.stderr_text);
  }
  for (const auto& a : c.absent) EXPECT_FALSE(fs::exists(substitute(a, tmp))) << a << " exists after the run";
  fs::remove_all(tmp);
}

std::vector<fs::path> all_cases() {
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(CLI_CASES_DIR)) {
    if (entry.path().extension() == ".case") cases.push_back(entry.path());
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Cases, CliGolden, ::testing::ValuesIn(all_cases()), [](const auto& info) {
  std::string name = info.param.stem().string();
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
});

}  // namespace
