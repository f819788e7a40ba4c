// valid_utf8: valid text passes unchanged; every kind of invalid sequence becomes U+FFFD.
#include "gpuopt/utf8.hpp"

#include <gtest/gtest.h>

namespace gpuopt {
namespace {

constexpr const char* kBad = "\xEF\xBF\xBD";

TEST(ValidUtf8, KeepsValidText) {
  for (const char* text :
       {"", "GPU-0", "caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_EQ(valid_utf8(text), text);
  }
}

TEST(ValidUtf8, ReplacesEachInvalidByte) {
  EXPECT_EQ(valid_utf8("GPU-\xFF\xFE-1"), std::string("GPU-") + kBad + kBad + "-1");
  EXPECT_EQ(valid_utf8("\xC0\xAF"), std::string(kBad) + kBad);                        // overlong '/'
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), std::string(kBad) + kBad + kBad);             // surrogate
  EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80"), std::string(kBad) + kBad + kBad + kBad);  // > U+10FFFF
  EXPECT_EQ(valid_utf8("ab\xE2\x82"), std::string("ab") + kBad + kBad);               // truncated at the end
  EXPECT_EQ(valid_utf8("\x80x"), std::string(kBad) + "x");                            // lone continuation
}

}  // namespace
}  // namespace gpuopt
