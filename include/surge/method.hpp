#pragma once
// surge::Method: the request methods surge implements, and one value for every other token.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace surge {

/// A request's method. kGet to kTrace are the methods the engine implements. kOther is any other
/// method token (RFC 9110 9.1: WebDAV's PROPFIND, PURGE, ...); Request::method_name() gives the
/// token itself. Only a route registered for kOther (`handle(Method::kOther, ...)`, or a
/// configured route's `"method": "*"`) takes such a request; anywhere else it is answered 501.
/// CONNECT is always refused with 501: surge does not tunnel.
enum class Method : std::uint8_t { kGet, kHead, kPost, kPut, kDelete, kPatch, kOptions, kTrace, kOther };

/// The number of Method values, kOther included (kOther is the last).
inline constexpr std::size_t kMethodCount = 9;

/// "GET", "HEAD", ... as sent on the wire; "OTHER" for kOther (the label metrics use for every
/// unknown method, which keeps their label set bounded).
constexpr std::string_view to_string(Method m) {
  constexpr std::string_view kNames[kMethodCount] = {"GET",   "HEAD",    "POST",  "PUT",  "DELETE",
                                                     "PATCH", "OPTIONS", "TRACE", "OTHER"};
  return kNames[static_cast<std::size_t>(m)];
}

/// The implemented method for an exact (case-sensitive) token, or false (never kOther).
constexpr bool parse_method(std::string_view token, Method& out) {
  for (std::size_t i = 0; i < static_cast<std::size_t>(Method::kOther); ++i) {
    if (to_string(static_cast<Method>(i)) == token) {
      out = static_cast<Method>(i);
      return true;
    }
  }
  return false;
}

}  // namespace surge
