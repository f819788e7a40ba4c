// Sequence encoders shared by the memory predictor (tokens = layers) and the forecaster
// (tokens = time steps). Internal header: it pulls in libtorch, so include it only from the few
// translation units that define torch models (each costs ~30 s to compile).
//
//   gru                a unidirectional GRU
//   bigru              a bidirectional GRU (local order in both directions)
//   transformer        input projection + sinusoidal positions + Transformer encoder layers
//   bigru-transformer  the hybrid: BiGRU (local order) feeding Transformer layers (global context)
//
// Inputs are [seq, batch, input_dim] (torch 1.13's Transformer has no batch_first) with a padding
// mask [batch, seq] that is true at padded positions. Output is [seq, batch, d_model].
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <torch/torch.h>

namespace gpuopt::ml {

enum class SeqArch { gru, bigru, transformer, bigru_transformer };

// "gru", "bigru", "transformer", "bigru-transformer" (with or without "seq:"); UsageError otherwise.
SeqArch parse_seq_arch(std::string_view name);
std::string seq_arch_name(SeqArch arch);  // the bare name, e.g. "bigru-transformer"

struct SeqEncoderOptions {
  SeqArch arch = SeqArch::bigru_transformer;
  std::int64_t input_dim = 0;
  std::int64_t d_model = 64;
  std::int64_t transformer_layers = 2;
  std::int64_t heads = 4;
  std::int64_t ff_dim = 128;
  double dropout = 0.1;
};

class SeqEncoderImpl : public torch::nn::Module {
 public:
  // Throws UsageError for impossible options (non-positive sizes, d_model not a multiple of heads).
  explicit SeqEncoderImpl(const SeqEncoderOptions& options);
  // x: [seq, batch, input_dim] float; padding: [batch, seq] bool (true = pad), may be undefined.
  // Padding must be a suffix of each sequence leaving at least one token (std::invalid_argument
  // otherwise, also for wrong shapes). Outputs at real tokens do not depend on how much padding
  // follows them (GRUs run on packed sequences, attention masks the padded keys).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& padding = {});
  const SeqEncoderOptions& options() const { return options_; }

 private:
  SeqEncoderOptions options_;
  torch::nn::Linear input_proj_{nullptr};
  torch::nn::GRU gru_{nullptr};
  torch::nn::Linear gru_proj_{nullptr};
  torch::nn::TransformerEncoder transformer_{nullptr};
};
TORCH_MODULE(SeqEncoder);

// Mean over non-padded positions: [seq, batch, d] -> [batch, d].
torch::Tensor masked_mean(const torch::Tensor& h, const torch::Tensor& padding);
// Max over non-padded positions: [seq, batch, d] -> [batch, d].
torch::Tensor masked_max(const torch::Tensor& h, const torch::Tensor& padding);

// Pinball (quantile) loss averaged over the batch; q in (0, 1). pred and target have the same shape
// (std::invalid_argument otherwise, also for q outside (0, 1)).
torch::Tensor pinball_loss(const torch::Tensor& pred, const torch::Tensor& target, double q);

// Serializes a module's parameters and buffers to bytes and back (torch::save/load round-trip
// exactly). load throws ParseError naming `what` when the bytes do not fit the module or a
// parameter is not finite, and then leaves the module as it was.
std::string module_to_bytes(torch::nn::Module& module);
void module_from_bytes(torch::nn::Module& module, const std::string& bytes, const std::string& what);

// Sets torch's intra-op threads (1 unless asked) and seeds torch's RNG deterministically.
void configure_torch(int threads, std::uint64_t seed);

}  // namespace gpuopt::ml
