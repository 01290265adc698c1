#pragma once
// exception_text: an exception's what() made safe to log.

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

namespace surge::detail {

/// Longest exception text logged; longer ends in "...".
inline constexpr std::size_t kMaxExceptionText = 256;

/// what() is anyone's text (it may quote client input): bounded, and kept to one line with every
/// control character a space, so it can neither forge nor flood log lines. Returns a view of
/// buffer. Shared by the recover middleware and the engine's last-resort handler.
inline std::string_view exception_text(std::string_view what,
                                       std::array<char, kMaxExceptionText>& buffer) noexcept {
  const std::size_t n = std::min(what.size(), buffer.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(what[i]);
    buffer[i] = c < 0x20 || c == 0x7f ? ' ' : what[i];
  }
  if (what.size() > n) std::fill(buffer.end() - 3, buffer.end(), '.');
  return {buffer.data(), n};
}

}  // namespace surge::detail
