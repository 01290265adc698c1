#pragma once
// Percent-encoding (RFC 3986 2.1) as the router needs it: equivalent paths reach the same route,
// parameter values reach handlers decoded.

#include <cstddef>
#include <string_view>

namespace surge::detail {

/// Decodes every %HH escape of raw into out (room for raw.size() bytes). Returns the decoded size,
/// or -1 for a malformed escape.
long percent_decode(std::string_view raw, char* out);

/// Whether raw has an escape of an unreserved character (ALPHA / DIGIT / "-" / "." / "_" / "~"):
/// such a path is equivalent to its decoded form (RFC 3986 6.2.2.2) and must route like it.
bool has_encoded_unreserved(std::string_view raw);

/// Decodes only the escapes of unreserved characters into out (room for raw.size() bytes);
/// every other escape stays as it is, in particular %2F, so an encoded slash never becomes a
/// path separator. Returns the size written. raw's escapes must be well-formed (the parser
/// checked them).
std::size_t decode_unreserved(std::string_view raw, char* out);

}  // namespace surge::detail
