// The network of the sequence memory models (pulls in libtorch: include it only from
// seq_network.cpp and seq_predictor.cpp). Layer tokens go through a SeqEncoder, are pooled (masked
// mean and max) per model, joined with each row's task features, and a small MLP gives five raw
// outputs per row, which the physics-structured head turns into a peak and a safe bound.
#pragma once

#include <cstdint>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "ml/seq_encoder.hpp"

namespace gpuopt::memory {

struct SeqNetOptions {
  ml::SeqEncoderOptions encoder;
  std::int64_t task_features = 0;  // columns of the scaled task features
  std::int64_t hidden = 64;        // width of the head's MLP
  nlohmann::json to_json() const;
  // Throws ParseError naming `source` for missing or bad keys.
  static SeqNetOptions from_json(const nlohmann::json& j, const std::string& source);
};

class SeqMemoryNetImpl : public torch::nn::Module {
 public:
  explicit SeqMemoryNetImpl(const SeqNetOptions& options);
  // tokens [T, M, token_dim], padding [M, T] (true = pad), row_model [R] (int64 index into M),
  // row_features [R, task_features]. Returns the raw head outputs [R, kHeadOutputs].
  torch::Tensor forward(const torch::Tensor& tokens, const torch::Tensor& padding,
                        const torch::Tensor& row_model, const torch::Tensor& row_features);

 private:
  ml::SeqEncoder encoder_{nullptr};
  torch::nn::Sequential head_{nullptr};
};
TORCH_MODULE(SeqMemoryNet);

// The physics-structured head, in log MiB:
//   peak  = static x e^w + overhead0 x e^o + (activations x e^r + saved x e^s) / 2
//   upper = peak x e^softplus(u)
// where (r, s, o, w, u) are the raw outputs squashed into a bounded range: the network learns
// which share of the layer outputs (all of them, or the analytic saved ones) stays for backward.
// The physics tensors are [R] (RowPhysics); the outputs are [R].
struct LogPeak {
  torch::Tensor peak;
  torch::Tensor upper;
};
struct PhysicsTensors {
  torch::Tensor static_mib, activations_mib, saved_activations_mib;
};
inline constexpr std::int64_t kHeadOutputs = 5;
LogPeak physics_head(const torch::Tensor& raw, const PhysicsTensors& physics);

}  // namespace gpuopt::memory
