#pragma once
// HTTP grammar predicates (RFC 9110), shared by the request parser, the response API and the
// config loader, so the three agree on what a token and a field value are.

#include <string_view>

namespace surge::detail {

/// ASCII case-insensitive equality (field names, codings).
constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

/// tchar (RFC 9110 5.6.2).
constexpr bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != '\0' && std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

/// token = 1*tchar: a method or a field name.
constexpr bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

/// field-value: VCHAR, obs-text, SP and HTAB; no CR, LF, NUL or other controls.
constexpr bool is_field_value(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

/// Fields the engine writes itself (framing, Date, Server): a handler or a config route may not
/// set them.
constexpr bool is_engine_field(std::string_view name) {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
         iequals(name, "connection") || iequals(name, "date") || iequals(name, "server");
}

}  // namespace surge::detail
