#pragma once
// CompressionPolicy: a route's CompressionConfig, checked and frozen for the request path.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <surge/compression.hpp>

#include "encoding/accept_encoding.hpp"
#include "encoding/content_coding.hpp"

namespace surge::detail {

/// Which responses a route compresses and how. Built once when the router is frozen; read-only
/// and shared by every worker after that.
class CompressionPolicy final {
 public:
  static constexpr std::uint64_t kUnknownLength = ~std::uint64_t{0};

  /// Throws std::invalid_argument naming the field ("encodings/1: ...") for an unknown coding, a
  /// malformed media type, a level out of range, or min_length above max_length.
  explicit CompressionPolicy(const CompressionConfig& config);

  const CodingOffer& offer() const { return offer_; }
  const CodingLevels& levels() const { return levels_; }
  /// Whether a body of this media type (a Content-Type value; parameters and case ignored) is
  /// compressed.
  bool compresses_type(std::string_view content_type) const;
  /// Whether a body of `length` bytes (kUnknownLength: a stream) is worth compressing per request:
  /// at least min_length, at most max_length.
  bool compresses_length(std::uint64_t length) const {
    return length == kUnknownLength || (length >= min_length_ && length <= max_length_);
  }
  /// RFC 9110 15.3.5, 15.3.7, 15.4.5: an answer without a body (1xx, 204, 304) or with a part of
  /// one (206) is never encoded.
  static bool encodes_status(int status) { return status >= 200 && status != 204 && status != 206 && status != 304; }
  std::uint64_t min_length() const { return min_length_; }
  bool precompressed() const { return precompressed_; }
  std::uint64_t file_cache_bytes() const { return file_cache_bytes_; }

 private:
  CodingOffer offer_;
  CodingLevels levels_;
  std::vector<std::string> exact_types_;     // "application/json", lower case
  std::vector<std::string> type_prefixes_;   // "text/" for "text/*"
  std::uint64_t min_length_;
  std::uint64_t max_length_;
  bool precompressed_;
  std::uint64_t file_cache_bytes_;
};

/// The media type of a Content-Type value: without parameters and surrounding whitespace.
std::string_view media_type(std::string_view content_type);

}  // namespace surge::detail
