#pragma once
// HTTP grammar (RFC 9110) and percent-encoding (RFC 3986), shared by the request parser, the
// response API, the config loader and the router, so they agree on what a token, a field value,
// a hex digit and an escape are. The one place that decodes hex and percent-escapes.

#include <cstddef>
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

/// s without the optional whitespace (SP, HTAB) around it (RFC 9110 5.6.3).
constexpr std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Whether the comma-separated list names token (case-insensitively), as a member or as the name
/// of a "name=value" member: "no-cache, max-age=0" has both no-cache and max-age.
constexpr bool list_has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view element = trim_ows(list.substr(0, comma));
    element = trim_ows(element.substr(0, element.find('=')));
    if (iequals(element, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

/// The value of hex digit c (HEXDIG, either case), or -1.
constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// unreserved (RFC 3986 2.3): ALPHA / DIGIT / "-" / "." / "_" / "~".
constexpr bool is_unreserved(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

/// The byte the escape "%HH" at s[i] stands for (s[i] is '%'), or -1 when the escape is
/// malformed or cut short.
constexpr int escaped_at(std::string_view s, std::size_t i) {
  if (i + 2 >= s.size()) return -1;
  const int hi = hex_value(s[i + 1]);
  const int lo = hex_value(s[i + 2]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

/// Decodes every %HH escape of raw into out (room for raw.size() bytes). Returns the decoded size,
/// or -1 for a malformed escape.
long percent_decode(std::string_view raw, char* out);

/// Whether raw has an escape of an unreserved character: such a path is equivalent to its
/// decoded form (RFC 3986 6.2.2.2) and must route like it.
bool has_encoded_unreserved(std::string_view raw);

/// Decodes only the escapes of unreserved characters into out (room for raw.size() bytes);
/// every other escape stays as it is, in particular %2F, so an encoded slash never becomes a
/// path separator. Returns the size written. raw's escapes must be well-formed (the parser
/// checked them).
std::size_t decode_unreserved(std::string_view raw, char* out);

}  // namespace surge::detail
