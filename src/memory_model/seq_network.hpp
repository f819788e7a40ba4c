// The network of the sequence memory models (pulls in libtorch: include it only from
// seq_network.cpp and seq_predictor.cpp). Layer tokens go through a SeqEncoder. From each encoded
// token, the retention head says which share of each kind's outputs in it stays alive for backward
// (in context: an Identity after a convolution may be a fused norm's output, after an activation an
// alias); summed over tokens that is the model's retained MiB per sample. The tokens are also pooled
// (masked mean and max) per model, joined with each row's task features, and a small MLP gives five
// raw outputs per row; the physics-structured head turns both into a peak and a safe bound.
#pragma once

#include <cstdint>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "gpuopt/memory/layer_kind.hpp"
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
  struct Output {
    torch::Tensor raw;           // [R, kHeadOutputs]
    torch::Tensor retained_mib;  // [M]: retained output MiB of one sample
  };
  // tokens [T, M, token_dim], padding [M, T] (true = pad), kind_mib [T, M, kLayerKindCount] (each
  // token's output MiB per kind for one sample, zero at padding), row_model [R] (int64 index into
  // M), row_features [R, task_features].
  Output forward(const torch::Tensor& tokens, const torch::Tensor& padding, const torch::Tensor& kind_mib,
                 const torch::Tensor& row_model, const torch::Tensor& row_features);

 private:
  ml::SeqEncoder encoder_{nullptr};
  torch::nn::Linear retention_{nullptr};
  torch::nn::Sequential head_{nullptr};
};
TORCH_MODULE(SeqMemoryNet);

// The physics-structured head, in log MiB:
//   peak  = batch x retained x e^r + largest x e^t / 2 + overhead0 x e^o + static x e^w
//   upper = peak x e^softplus(u)
// where retained is the retention head's MiB per sample of the row's model, largest the largest
// layer output for the batch (a backward transient), and (r, t, o, w, u) the raw outputs squashed
// into a bounded range. The physics tensors and `retained_mib` are [R]; the outputs are [R].
struct LogPeak {
  torch::Tensor peak;
  torch::Tensor upper;
};
struct PhysicsTensors {
  torch::Tensor static_mib, batch_size, largest_output_mib;
};
inline constexpr std::int64_t kHeadOutputs = 5;
LogPeak physics_head(const torch::Tensor& raw, const torch::Tensor& retained_mib,
                     const PhysicsTensors& physics);

}  // namespace gpuopt::memory
