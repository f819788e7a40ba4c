// Layout (all integers little-endian, so a file moves between machines):
//   "GPUOPTMF" | u32 version | u64 header length | header JSON | u32 section count |
//   per section: u32 name length | name | u64 data length | data |
//   (version >= 2) u64 FNV-1a checksum of every byte before it
#include "gpuopt/ml/model_file.hpp"

#include <cstdint>
#include <stdexcept>

#include <fmt/format.h>

#include "gpuopt/error.hpp"
#include "gpuopt/file_read.hpp"
#include "gpuopt/file_write.hpp"

namespace gpuopt::ml {
namespace {

constexpr std::string_view kMagic = "GPUOPTMF";

template <typename T>
void put_uint(std::string& out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// FNV-1a, 64 bits: catches damaged bytes (a flipped bit, a bad copy) before they reach XGBoost or
// torch, whose loaders trust their input. Not a defence against deliberate tampering.
std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// The first meta key that the contract requires but is missing or not a string; nullptr when fine.
const char* missing_identity(const nlohmann::json& meta) {
  for (const char* key : {"domain", "model"}) {
    const auto it = meta.find(key);
    if (it == meta.end() || !it->is_string()) return key;
  }
  return nullptr;
}

// Reads the byte string front to back; every shortfall is a ParseError naming the field.
class Reader {
 public:
  Reader(std::string_view bytes, const std::string& name) : bytes_(bytes), name_(name) {}

  template <typename T>
  T uint(const std::string& field) {
    const std::string_view raw = take(sizeof(T), field);
    T value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      value |= static_cast<T>(static_cast<unsigned char>(raw[i])) << (8 * i);
    }
    return value;
  }

  std::string_view take(std::uint64_t size, const std::string& field) {
    if (size > bytes_.size() - pos_) {
      fail(field, fmt::format("truncated: needs {} bytes, {} left", size, bytes_.size() - pos_));
    }
    const std::string_view out = bytes_.substr(pos_, size);
    pos_ += size;
    return out;
  }

  bool at_end() const { return pos_ == bytes_.size(); }

  [[noreturn]] void fail(const std::string& field, const std::string& reason) const {
    throw ParseError(name_, 0, field, reason);
  }

 private:
  std::string_view bytes_;
  const std::string& name_;
  std::size_t pos_ = 0;
};

std::uint32_t check_version(Reader& in) {
  const auto version = in.uint<std::uint32_t>("version");
  if (version > static_cast<std::uint32_t>(kModelFileVersion)) {
    in.fail("version", fmt::format("format version {} is newer than this gpuopt reads ({}); upgrade gpuopt",
                                   version, kModelFileVersion));
  }
  if (version == 0) in.fail("version", "format version 0 does not exist");
  return version;
}

nlohmann::json read_header(Reader& in) {
  const auto size = in.uint<std::uint64_t>("header");
  const std::string_view text = in.take(size, "header");
  nlohmann::json meta = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (meta.is_discarded()) in.fail("header", "invalid JSON");
  if (!meta.is_object()) in.fail("header", "not a JSON object");
  if (const char* key = missing_identity(meta)) in.fail(key, "missing or not a string");
  return meta;
}

// Checks the magic, the version and (version >= 2) the trailing checksum; returns the bytes the
// checksum covers.
std::string_view checked_body(std::string_view bytes, const std::string& name) {
  Reader in(bytes, name);
  if (bytes.substr(0, kMagic.size()) != kMagic) in.fail("magic", "not a gpuopt model file");
  in.take(kMagic.size(), "magic");
  if (check_version(in) < 2) return bytes;
  if (bytes.size() < kMagic.size() + 4 + 8) in.fail("checksum", "truncated: the file is too short");
  const std::string_view body = bytes.substr(0, bytes.size() - 8);
  Reader tail(bytes.substr(body.size()), name);
  if (tail.uint<std::uint64_t>("checksum") != fnv1a64(body)) {
    in.fail("checksum", "does not match the contents: the file is damaged (truncated, corrupted or edited)");
  }
  return body;
}

}  // namespace

std::string encode_model_file(const ModelFile& file) {
  if (!file.meta.is_object()) throw std::invalid_argument("model file meta must be a JSON object");
  if (const char* key = missing_identity(file.meta)) {
    throw std::invalid_argument(fmt::format("model file meta: '{}' is missing or not a string", key));
  }
  const std::string header = file.meta.dump();
  std::string out(kMagic);
  put_uint<std::uint32_t>(out, kModelFileVersion);
  put_uint<std::uint64_t>(out, header.size());
  out += header;
  put_uint<std::uint32_t>(out, static_cast<std::uint32_t>(file.sections.size()));
  for (const auto& [name, data] : file.sections) {
    put_uint<std::uint32_t>(out, static_cast<std::uint32_t>(name.size()));
    out += name;
    put_uint<std::uint64_t>(out, data.size());
    out += data;
  }
  put_uint<std::uint64_t>(out, fnv1a64(out));
  return out;
}

ModelFile decode_model_file(std::string_view bytes, const std::string& name) {
  const std::string_view body = checked_body(bytes, name);
  Reader in(body, name);
  in.take(kMagic.size() + 4, "magic");
  ModelFile file;
  file.meta = read_header(in);
  const auto count = in.uint<std::uint32_t>("sections");
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::string index_field = fmt::format("section #{}", i + 1);
    const auto name_size = in.uint<std::uint32_t>(index_field);
    std::string section_name(in.take(name_size, index_field));
    const std::string field = fmt::format("section '{}'", section_name);
    const auto data_size = in.uint<std::uint64_t>(field);
    std::string data(in.take(data_size, field));
    if (!file.sections.emplace(section_name, std::move(data)).second) in.fail(field, "appears twice");
  }
  if (!in.at_end()) in.fail("sections", "unexpected bytes after the last section");
  return file;
}

void save_model_file(const std::string& path, const ModelFile& file) {
  write_file_atomically(path, encode_model_file(file), "model file");
}

ModelFile load_model_file(const std::string& path) {
  std::string bytes;
  try {
    bytes = read_file_capped(path, 1024 * kMiB, "a gpuopt model file");
  } catch (const ParseError& e) {
    throw Error(e.what());  // missing, unreadable or endless: not a question of its format
  }
  return decode_model_file(bytes, path);
}

void require_domain(const ModelFile& file, std::string_view want, const std::string& name) {
  const std::string domain = file.meta.value("domain", std::string());
  if (domain != want) {
    throw UsageError(fmt::format("{} is a {} model, not a {} model", name, domain, want));
  }
}

}  // namespace gpuopt::ml
