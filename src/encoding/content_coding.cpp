#include "encoding/content_coding.hpp"

#include <cstddef>

#include "http/grammar.hpp"

namespace surge::detail {
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
