#pragma once
// HTTP status codes and reason phrases.

#include <string_view>

namespace surge {

/// The reason phrase for a status code ("Not Found"), or "Unknown" for a code without one.
std::string_view reason_phrase(int status);

/// True for status codes that never carry a body or Content-Length (1xx, 204) or carry no body
/// (304) (RFC 9110 6.4.1).
constexpr bool status_has_no_body(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

}  // namespace surge
