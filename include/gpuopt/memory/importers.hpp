// Importers that turn a model description into a Task (see task.hpp) for a given batch size.
#pragma once

#include <cstdint>
#include <string>

#include "gpuopt/memory/task.hpp"

namespace gpuopt::memory {

// ONNX (libonnx: parse, check_model, shape inference). Nodes map to layers in topological order
// with output elements per sample (the batch dimension, symbolic or 1, is dropped) and the
// parameters of their initializers, or of their weight inputs' shapes when the model was exported
// without parameters. Throws ParseError naming the file (and node) for unreadable, cyclic,
// unsupported or shape-less models.
Task import_onnx(const std::string& path, std::int64_t batch_size);

// torchsummary text ("Layer (type)  Output Shape  Param #" table). Throws ParseError naming the
// file and line when there is no table or a row is malformed.
Task import_torchsummary(const std::string& path, std::int64_t batch_size);

}  // namespace gpuopt::memory
