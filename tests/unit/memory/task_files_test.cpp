#include <gtest/gtest.h>

#include "gpuopt/error.hpp"
#include "gpuopt/memory/task.hpp"
#include "memory_test_files.hpp"

namespace gpuopt::memory {
namespace {

using test::task_line;
using test::TempDir;

// what() of the ParseError read_tasks throws for `text`.
std::string read_error(const TempDir& dir, const std::string& text) {
  const auto path = dir.write("tasks.jsonl", text);
  try {
    read_tasks(path);
  } catch (const ParseError& e) {
    return std::string(e.what()).substr(path.size());
  }
  ADD_FAILURE() << "no error for: " << text;
  return {};
}

TEST(ReadTasks, ReadsJsonlWithOrWithoutFinalNewline) {
  TempDir dir;
  const auto lines = task_line("a") + "\n" + task_line("b") + "\r\n" + task_line("c");
  const auto tasks = read_tasks(dir.write("t.jsonl", lines));
  ASSERT_EQ(tasks.size(), 3u);
  EXPECT_EQ(tasks[2].id, "c");
  EXPECT_EQ(read_tasks(dir.write("t2.jsonl", lines + "\n")).size(), 3u);
}

TEST(ReadTasks, EmptyLineIsAnErrorNamingIt) {
  TempDir dir;
  EXPECT_EQ(read_error(dir, task_line("a") + "\n\n" + task_line("b") + "\n"),
            ":2: empty line (one task per line, no blank lines)");
  EXPECT_EQ(read_error(dir, task_line("a") + "\n" + task_line("b") + "\n  \n"),
            ":3: empty line (one task per line, no blank lines)");
}

TEST(ReadTasks, TruncatedLastLineIsAnErrorNamingIt) {
  TempDir dir;
  const std::string second = task_line("b");
  const std::string message = read_error(dir, task_line("a") + "\n" + second.substr(0, second.size() / 2));
  EXPECT_EQ(message.substr(0, 4), ":2: ") << message;
  EXPECT_NE(message.find("the last line is truncated"), std::string::npos) << message;
}

TEST(ReadTasks, SchemaErrorsNameTheLine) {
  TempDir dir;
  std::string bad = task_line("b");
  bad.replace(bad.find("\"batch_size\":8"), 14, "\"batch_size\":-8");
  EXPECT_EQ(read_error(dir, task_line("a") + "\n" + task_line("c") + "\n" + bad + "\n"),
            ":3: field 'batch_size': must be >= 1, got -8");
}

TEST(ReadTasks, NumberOverflowIsAnErrorNamingTheLine) {
  TempDir dir;
  EXPECT_EQ(read_error(dir, task_line("a") + "\n{\"batch_size\": 1e400}\n"),
            ":2: number overflow parsing '1e400'");
}

TEST(ReadTasks, ReadsAJsonArrayNamingElementLines) {
  TempDir dir;
  const auto tasks =
      read_tasks(dir.write("a.json", "[\n" + task_line("a") + ",\n" + task_line("b") + "\n]\n"));
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[1].id, "b");
  std::string bad = task_line("c");
  bad.replace(bad.find("\"status\":\"ok\""), 13, "\"status\":\"bad\"");
  const auto path = dir.write("b.json", "[\n" + task_line("a") + ",\n\n  " + bad + "\n]");
  try {
    read_tasks(path);
    FAIL() << "no error";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.line(), 4u);
    EXPECT_EQ(e.field(), "status");
  }
}

TEST(ReadTasks, ReadsOnePrettyPrintedObject) {
  TempDir dir;
  const auto text = nlohmann::json::parse(task_line("solo")).dump(2);
  const auto tasks = read_tasks(dir.write("one.json", text));
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].id, "solo");
  // A syntax error inside is reported at its line.
  std::string broken = text;
  broken.replace(broken.find("\"params\": 1000"), 14, "\"params\": 1000 1");
  const auto path = dir.write("broken.json", broken);
  try {
    read_tasks(path);
    FAIL() << "no error";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.line(), 1u + static_cast<std::size_t>(
                                 std::count(text.begin(), text.begin() + text.find("\"params\""), '\n')));
  }
}

TEST(ReadTasks, EmptyFileHoldsNoTasks) {
  TempDir dir;
  EXPECT_TRUE(read_tasks(dir.write("empty.jsonl", "")).empty());
}

TEST(ReadTasks, MissingFileIsAnError) {
  TempDir dir;
  EXPECT_THROW(read_tasks(dir.path("missing.jsonl")), Error);
}

TEST(WriteTasks, RoundTripsThroughJsonl) {
  TempDir dir;
  const auto tasks = read_tasks(dir.write("in.jsonl", task_line("a") + "\n" + task_line("b") + "\n"));
  const auto out = dir.path("out.jsonl");
  write_tasks_jsonl(out, tasks);
  const auto back = read_tasks(out);
  ASSERT_EQ(back.size(), 2u);
  for (std::size_t i = 0; i < back.size(); ++i) EXPECT_EQ(task_to_json(back[i]), task_to_json(tasks[i]));
}

TEST(WriteTasks, UnwritablePathIsAnError) {
  EXPECT_THROW(write_tasks_jsonl("/nonexistent-dir/out.jsonl", {}), Error);
}

}  // namespace
}  // namespace gpuopt::memory
