#include "ml/seq_encoder.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "gpuopt/error.hpp"

namespace gpuopt::ml {
namespace {

constexpr std::int64_t kInputDim = 5;

SeqEncoder make_encoder(SeqArch arch, std::uint64_t seed = 1, std::int64_t d_model = 32) {
  configure_torch(1, seed);
  SeqEncoderOptions options;
  options.arch = arch;
  options.input_dim = kInputDim;
  options.d_model = d_model;
  SeqEncoder encoder(options);
  encoder->eval();
  return encoder;
}

// Pooled features of one batch: [batch, 2 * d_model].
torch::Tensor pooled(SeqEncoder& encoder, const torch::Tensor& x, const torch::Tensor& padding) {
  const auto h = encoder->forward(x, padding);
  return torch::cat({masked_mean(h, padding), masked_max(h, padding)}, 1);
}

torch::Tensor no_padding(std::int64_t batch, std::int64_t seq) {
  return torch::zeros({batch, seq}, torch::kBool);
}

class SeqEncoderArch : public ::testing::TestWithParam<SeqArch> {};

TEST_P(SeqEncoderArch, OutputsOneModelWidthVectorPerToken) {
  auto encoder = make_encoder(GetParam());
  const auto x = torch::randn({7, 3, kInputDim});
  EXPECT_EQ(encoder->forward(x).sizes(), (std::vector<std::int64_t>{7, 3, 32}));
  auto padding = no_padding(3, 7);
  padding.index_put_({1, torch::indexing::Slice(4)}, true);
  const auto h = encoder->forward(x, padding);
  EXPECT_EQ(h.sizes(), (std::vector<std::int64_t>{7, 3, 32}));
  EXPECT_EQ(masked_mean(h, padding).sizes(), (std::vector<std::int64_t>{3, 32}));
  EXPECT_EQ(masked_max(h, padding).sizes(), (std::vector<std::int64_t>{3, 32}));
}

// A short sequence alone and the same sequence padded (with wild values) next to a longer one
// must pool to the same features.
TEST_P(SeqEncoderArch, PooledOutputIgnoresPadding) {
  auto encoder = make_encoder(GetParam());
  const auto short_seq = torch::randn({4, 1, kInputDim});
  const auto long_seq = torch::randn({9, 1, kInputDim});
  const auto batch =
      torch::cat({torch::cat({short_seq, torch::full({5, 1, kInputDim}, 100.0)}), long_seq}, 1);
  auto padding = no_padding(2, 9);
  padding.index_put_({0, torch::indexing::Slice(4)}, true);

  torch::NoGradGuard no_grad;
  const auto together = pooled(encoder, batch, padding);
  const auto alone = pooled(encoder, short_seq, no_padding(1, 4));
  EXPECT_TRUE(torch::allclose(together[0], alone[0], 1e-4, 1e-5)) << (together[0] - alone[0]).abs().max();
  const auto long_alone = pooled(encoder, long_seq, torch::Tensor());
  EXPECT_TRUE(torch::allclose(together[1], long_alone[0], 1e-4, 1e-5));
  EXPECT_FALSE(torch::allclose(together[0], together[1], 1e-4, 1e-5));
}

TEST_P(SeqEncoderArch, BytesRoundTripExactly) {
  auto trained = make_encoder(GetParam(), 1);
  auto fresh = make_encoder(GetParam(), 2);
  const auto x = torch::randn({6, 2, kInputDim});
  torch::NoGradGuard no_grad;
  ASSERT_FALSE(torch::equal(fresh->forward(x), trained->forward(x)));
  module_from_bytes(*fresh, module_to_bytes(*trained), "m.gpuopt");
  EXPECT_TRUE(torch::equal(fresh->forward(x), trained->forward(x)));
}

INSTANTIATE_TEST_SUITE_P(All, SeqEncoderArch,
                         ::testing::Values(SeqArch::gru, SeqArch::bigru, SeqArch::transformer,
                                           SeqArch::bigru_transformer),
                         [](const auto& info) {
                           std::string name = seq_arch_name(info.param);
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(SeqEncoder, ForeignBytesFailAndLeaveTheModuleAsItWas) {
  auto encoder = make_encoder(SeqArch::bigru_transformer);
  const auto x = torch::randn({5, 1, kInputDim});
  torch::NoGradGuard no_grad;
  const auto before = encoder->forward(x);
  auto wider = make_encoder(SeqArch::bigru_transformer, 1, 64);
  try {
    module_from_bytes(*encoder, module_to_bytes(*wider), "m.gpuopt");
    FAIL() << "loaded a wider model";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.file(), "m.gpuopt");
    EXPECT_NE(std::string(e.what()).find("input_proj"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(torch::equal(encoder->forward(x), before));
  EXPECT_THROW(module_from_bytes(*encoder, "not torch", "m.gpuopt"), ParseError);
  auto gru = make_encoder(SeqArch::gru);
  EXPECT_THROW(module_from_bytes(*encoder, module_to_bytes(*gru), "m.gpuopt"), ParseError);
  EXPECT_TRUE(torch::equal(encoder->forward(x), before));
}

TEST(SeqEncoder, RejectsBadPaddingAndShapes) {
  auto encoder = make_encoder(SeqArch::gru);
  const auto x = torch::randn({4, 2, kInputDim});
  auto gap = no_padding(2, 4);
  gap.index_put_({0, 1}, true);
  EXPECT_THROW(encoder->forward(x, gap), std::invalid_argument);
  auto all_pad = no_padding(2, 4);
  all_pad.index_put_({1}, true);
  EXPECT_THROW(encoder->forward(x, all_pad), std::invalid_argument);
  EXPECT_THROW(encoder->forward(x, no_padding(4, 2)), std::invalid_argument);
  EXPECT_THROW(encoder->forward(torch::randn({4, 2, kInputDim + 1})), std::invalid_argument);
}

TEST(SeqEncoder, MaskedPoolingSkipsPaddedTokens) {
  const auto h = torch::tensor({1.0f, 5.0f, 100.0f}).reshape({3, 1, 1});
  const auto padding = torch::tensor({false, false, true}).reshape({1, 3});
  EXPECT_FLOAT_EQ(masked_mean(h, padding).item<float>(), 3.0f);
  EXPECT_FLOAT_EQ(masked_max(h, padding).item<float>(), 5.0f);
  EXPECT_FLOAT_EQ(masked_mean(h, torch::Tensor()).item<float>(), 106.0f / 3);
}

TEST(SeqEncoder, PinballLossWeighsUnderAndOverPrediction) {
  const auto pred = torch::zeros({3});
  const auto target = torch::tensor({1.0f, -2.0f, 0.0f});
  EXPECT_FLOAT_EQ(pinball_loss(pred, target, 0.75).item<float>(), (0.75f + 0.5f) / 3);
  EXPECT_FLOAT_EQ(pinball_loss(pred, target, 0.25).item<float>(), (0.25f + 1.5f) / 3);
  EXPECT_THROW(pinball_loss(pred, target, 1.0), std::invalid_argument);
  EXPECT_THROW(pinball_loss(pred, torch::zeros({2}), 0.5), std::invalid_argument);
}

TEST(SeqEncoder, ParsesArchitectureNames) {
  EXPECT_EQ(parse_seq_arch("seq:bigru-transformer"), SeqArch::bigru_transformer);
  EXPECT_EQ(parse_seq_arch("gru"), SeqArch::gru);
  EXPECT_EQ(seq_arch_name(SeqArch::transformer), "transformer");
  try {
    parse_seq_arch("seq:lstm");
    FAIL() << "accepted seq:lstm";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(),
                 "unknown sequence model 'seq:lstm' (valid: seq:gru, seq:bigru, seq:transformer, "
                 "seq:bigru-transformer)");
  }
  SeqEncoderOptions odd;
  odd.input_dim = kInputDim;
  odd.d_model = 30;  // not a multiple of 4 heads
  EXPECT_THROW(SeqEncoder{odd}, UsageError);
}

TEST(SeqEncoder, SeededConstructionIsDeterministic) {
  auto a = make_encoder(SeqArch::bigru_transformer, 5);
  auto b = make_encoder(SeqArch::bigru_transformer, 5);
  EXPECT_EQ(module_to_bytes(*a), module_to_bytes(*b));
}

}  // namespace
}  // namespace gpuopt::ml
