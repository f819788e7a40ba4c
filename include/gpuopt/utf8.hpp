// Text from files and devices may hold bytes that are not UTF-8 (a mangled uuid column, a file
// name in Latin-1); JSON output cannot carry them. The store keeps only valid UTF-8.
#pragma once

#include <string>
#include <string_view>

namespace gpuopt {

// `text` with every invalid UTF-8 sequence (bad lead or continuation byte, overlong form,
// surrogate, code point past U+10FFFF, truncated sequence) replaced by U+FFFD; valid text unchanged.
std::string valid_utf8(std::string_view text);

}  // namespace gpuopt
