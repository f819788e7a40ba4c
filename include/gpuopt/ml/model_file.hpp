// gpuopt's model file: one self-contained file per trained model, shared by every model kind
// (memory predictor, forecaster, power model). Layout: the magic "GPUOPTMF", a format version,
// a JSON header, then named binary sections (a torch archive, an XGBoost raw model, ...), then a
// checksum that stops damaged bytes before they reach XGBoost or torch.
// Writers go through a temporary file and a rename, so a crash never leaves half a model.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace gpuopt::ml {

// Version 2 adds a trailing checksum (model_file.cpp's layout); version 1 files (no checksum, the
// models shipped before 2026-12-05) are still read.
inline constexpr int kModelFileVersion = 2;

struct ModelFile {
  // Always has "domain" ("memory", "forecast", "power") and "model" (registry name such as
  // "seq:bigru-transformer"); the rest (feature normalization, options, training summary) is the
  // model's own.
  nlohmann::json meta = nlohmann::json::object();
  std::map<std::string, std::string> sections;  // name -> raw bytes
};

// Serializes to / parses from bytes. `name` is used in errors (file path or "<embedded>").
// encode throws std::invalid_argument when meta lacks the string "domain" or "model".
// decode throws ParseError (bad magic, newer version, checksum mismatch, truncated section,
// invalid JSON header, missing "domain"/"model", duplicate section, bytes after the last section).
std::string encode_model_file(const ModelFile& file);
ModelFile decode_model_file(std::string_view bytes, const std::string& name);

// File versions. save throws Error when the file cannot be written; load throws Error when it
// cannot be read and ParseError when it is not a gpuopt model file.
void save_model_file(const std::string& path, const ModelFile& file);
ModelFile load_model_file(const std::string& path);

// Throws UsageError "FILE is a DOMAIN model, not a WANT model" when meta["domain"] != want.
void require_domain(const ModelFile& file, std::string_view want, const std::string& name);

}  // namespace gpuopt::ml
