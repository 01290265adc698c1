#pragma once
// Small text helpers the test support code shares.

#include <cctype>
#include <cstddef>
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

}  // namespace surge::test
