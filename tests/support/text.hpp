#pragma once
// Small text helpers the test support code shares.

#include <cctype>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace surge::test {

/// ASCII case-insensitive equality, as HTTP field names compare.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

/// body in chunked transfer coding, in pieces of `piece` bytes, with the last chunk.
inline std::string chunked(const std::string& body, std::size_t piece) {
  std::string out;
  for (std::size_t at = 0; at < body.size(); at += piece) {
    const std::string part = body.substr(at, piece);
    char size[16];
    std::snprintf(size, sizeof(size), "%zx\r\n", part.size());
    out += size + part + "\r\n";
  }
  return out + "0\r\n\r\n";
}

}  // namespace surge::test
