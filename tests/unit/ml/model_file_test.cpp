#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "gpuopt/error.hpp"
#include "gpuopt/ml/model_file.hpp"

namespace gpuopt::ml {
namespace {

namespace fs = std::filesystem;

template <typename T>
void put(std::string& out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// Builds a file byte by byte from the documented layout, so the tests can write what encode never would.
std::string raw_file(std::uint32_t version, const std::string& header,
                     const std::vector<std::pair<std::string, std::string>>& sections) {
  std::string out = "GPUOPTMF";
  put<std::uint32_t>(out, version);
  put<std::uint64_t>(out, header.size());
  out += header;
  put<std::uint32_t>(out, static_cast<std::uint32_t>(sections.size()));
  for (const auto& [name, data] : sections) {
    put<std::uint32_t>(out, static_cast<std::uint32_t>(name.size()));
    out += name;
    put<std::uint64_t>(out, data.size());
    out += data;
  }
  if (version >= 2) {  // FNV-1a 64 of everything before it
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : out) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    put<std::uint64_t>(out, h);
  }
  return out;
}

ModelFile sample_file() {
  ModelFile file;
  file.meta = {{"domain", "memory"}, {"model", "seq:gru"}, {"norm", {{"mean", {1.5, -2.25}}}}};
  file.sections["weights"] = std::string("\0\x01\xff binary\n", 11);
  file.sections["empty"] = "";
  return file;
}

// The ParseError thrown by decoding `bytes`, or a test failure when there is none.
ParseError decode_error(const std::string& bytes) {
  try {
    decode_model_file(bytes, "m.gpuopt");
  } catch (const ParseError& e) {
    return e;
  }
  ADD_FAILURE() << "decoded without error";
  return ParseError("", 0, "", "");
}

class ModelFileOnDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gpuopt_model_file_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::size_t entries() const {
    return std::distance(fs::directory_iterator(dir_), fs::directory_iterator());
  }
  fs::path dir_;
};

TEST(ModelFile, RoundTripsMetaAndBinarySections) {
  const ModelFile file = sample_file();
  const std::string bytes = encode_model_file(file);
  EXPECT_EQ(bytes.substr(0, 8), "GPUOPTMF");
  const ModelFile back = decode_model_file(bytes, "m");
  EXPECT_EQ(back.meta, file.meta);
  EXPECT_EQ(back.sections, file.sections);
}

TEST(ModelFile, MatchesTheDocumentedLayout) {
  const ModelFile file = sample_file();
  std::vector<std::pair<std::string, std::string>> sections(file.sections.begin(), file.sections.end());
  EXPECT_EQ(encode_model_file(file), raw_file(kModelFileVersion, file.meta.dump(), sections));
}

TEST(ModelFile, RejectsBadMagic) {
  std::string bytes = encode_model_file(sample_file());
  bytes[0] = 'X';
  const ParseError e = decode_error(bytes);
  EXPECT_EQ(e.file(), "m.gpuopt");
  EXPECT_EQ(e.field(), "magic");
  EXPECT_EQ(decode_error("").field(), "magic");
}

TEST(ModelFile, RejectsEveryTruncation) {
  const std::string bytes = encode_model_file(sample_file());
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_THROW(decode_model_file(std::string_view(bytes).substr(0, size), "m"), ParseError) << size;
  }
  EXPECT_EQ(decode_error(bytes.substr(0, bytes.size() - 3)).field(), "checksum");
  // Version 1 files have no checksum: the reader names the section that ends early.
  const ModelFile file = sample_file();
  const std::string v1 = raw_file(1, file.meta.dump(), {file.sections.begin(), file.sections.end()});
  EXPECT_EQ(decode_model_file(v1, "m").sections, file.sections);
  const ParseError e = decode_error(v1.substr(0, v1.size() - 3));
  EXPECT_EQ(e.field(), "section 'weights'");
  EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
}

TEST(ModelFile, RejectsEveryDamagedByte) {
  const std::string bytes = encode_model_file(sample_file());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x10);
    EXPECT_THROW(decode_model_file(damaged, "m"), ParseError) << "byte " << i;
  }
  std::string damaged = bytes;
  damaged[bytes.size() / 2] ^= 0x01;
  const ParseError e = decode_error(damaged);
  EXPECT_EQ(e.field(), "checksum");
  EXPECT_NE(std::string(e.what()).find("damaged"), std::string::npos) << e.what();
}

TEST(ModelFile, RejectsNewerAndUnknownVersions) {
  const ParseError newer = decode_error(raw_file(kModelFileVersion + 1, R"({"domain":"a","model":"b"})", {}));
  EXPECT_EQ(newer.field(), "version");
  EXPECT_NE(std::string(newer.what()).find("newer"), std::string::npos) << newer.what();
  EXPECT_EQ(decode_error(raw_file(0, R"({"domain":"a","model":"b"})", {})).field(), "version");
}

TEST(ModelFile, RejectsBadHeaders) {
  EXPECT_EQ(decode_error(raw_file(1, "{not json", {})).field(), "header");
  EXPECT_EQ(decode_error(raw_file(1, "[1, 2]", {})).field(), "header");
  EXPECT_EQ(decode_error(raw_file(1, R"({"model":"b"})", {})).field(), "domain");
  EXPECT_EQ(decode_error(raw_file(1, R"({"domain":"a","model":3})", {})).field(), "model");
}

TEST(ModelFile, RejectsDuplicateSectionsAndTrailingBytes) {
  const std::string header = R"({"domain":"a","model":"b"})";
  EXPECT_EQ(decode_error(raw_file(1, header, {{"s", "1"}, {"s", "2"}})).field(), "section 's'");
  EXPECT_EQ(decode_error(raw_file(1, header, {{"s", "1"}}) + "x").field(), "sections");
}

TEST(ModelFile, EncodeRequiresDomainAndModel) {
  ModelFile file;
  file.meta = {{"domain", "memory"}};
  EXPECT_THROW(encode_model_file(file), std::invalid_argument);
}

TEST(ModelFile, RequireDomainNamesBothDomains) {
  try {
    require_domain(sample_file(), "forecast", "m.gpuopt");
    FAIL() << "accepted a memory model as a forecast model";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "m.gpuopt is a memory model, not a forecast model");
  }
  EXPECT_NO_THROW(require_domain(sample_file(), "memory", "m.gpuopt"));
}

TEST_F(ModelFileOnDisk, SavesLoadsAndReplacesLeavingNoTemporaryFile) {
  const std::string path = (dir_ / "m.gpuopt").string();
  ModelFile file = sample_file();
  save_model_file(path, file);
  file.meta["model"] = "seq:bigru";
  file.sections.erase("empty");
  save_model_file(path, file);
  const ModelFile back = load_model_file(path);
  EXPECT_EQ(back.meta, file.meta);
  EXPECT_EQ(back.sections, file.sections);
  EXPECT_EQ(entries(), 1u);
}

TEST_F(ModelFileOnDisk, FailedSaveKeepsTheOldFile) {
  const std::string path = (dir_ / "m.gpuopt").string();
  save_model_file(path, sample_file());
  // Occupy save's temporary name (path.tmp-PID) with a directory so the new file cannot be written.
  fs::create_directory(path + ".tmp-" + std::to_string(::getpid()));
  ModelFile other = sample_file();
  other.meta["model"] = "seq:bigru";
  EXPECT_THROW(save_model_file(path, other), Error);
  EXPECT_EQ(load_model_file(path).meta, sample_file().meta);
}

TEST_F(ModelFileOnDisk, ReportsUnreadableAndForeignFiles) {
  EXPECT_THROW(save_model_file((dir_ / "missing" / "m.gpuopt").string(), sample_file()), Error);
  EXPECT_EQ(entries(), 0u);
  try {
    load_model_file((dir_ / "absent.gpuopt").string());
    FAIL() << "loaded a missing file";
  } catch (const ParseError&) {
    FAIL() << "a missing file is not a parse error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("absent.gpuopt"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_model_file(dir_.string()), Error);
  const fs::path foreign = dir_ / "notes.txt";
  std::ofstream(foreign) << "hello";
  EXPECT_THROW(load_model_file(foreign.string()), ParseError);
}

}  // namespace
}  // namespace gpuopt::ml
