#include "encoding/content_coding.hpp"

#include <cstddef>

namespace surge::detail {
namespace {

// Tokens are ASCII (RFC 9110 5.6.2): no locale, no allocation.
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

}  // namespace

std::string_view coding_name(ContentCoding coding) {
  switch (coding) {
    case ContentCoding::kGzip:
      return "gzip";
    case ContentCoding::kBrotli:
      return "br";
    case ContentCoding::kZstd:
      return "zstd";
    case ContentCoding::kIdentity:
      break;
  }
  return "identity";
}

std::optional<ContentCoding> coding_from_name(std::string_view token) {
  if (iequals(token, "gzip") || iequals(token, "x-gzip")) return ContentCoding::kGzip;
  if (iequals(token, "br")) return ContentCoding::kBrotli;
  if (iequals(token, "zstd")) return ContentCoding::kZstd;
  if (iequals(token, "identity")) return ContentCoding::kIdentity;
  return std::nullopt;
}

}  // namespace surge::detail
