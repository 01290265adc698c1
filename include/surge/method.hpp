#pragma once
// surge::Method: the request methods surge implements.

#include <cstdint>
#include <string_view>

namespace surge {

/// Methods the engine accepts. A request with any other method is answered 501 before routing.
enum class Method : std::uint8_t { kGet, kHead, kPost, kPut, kDelete, kPatch, kOptions, kTrace };

inline constexpr std::size_t kMethodCount = 8;

/// "GET", "HEAD", ... as sent on the wire.
constexpr std::string_view to_string(Method m) {
  constexpr std::string_view kNames[kMethodCount] = {"GET",   "HEAD",    "POST", "PUT",
                                                     "DELETE", "PATCH", "OPTIONS", "TRACE"};
  return kNames[static_cast<std::size_t>(m)];
}

/// The method for an exact (case-sensitive) token, or false.
constexpr bool parse_method(std::string_view token, Method& out) {
  for (std::size_t i = 0; i < kMethodCount; ++i) {
    if (to_string(static_cast<Method>(i)) == token) {
      out = static_cast<Method>(i);
      return true;
    }
  }
  return false;
}

}  // namespace surge
