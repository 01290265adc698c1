#pragma once
// ContentCoding: the content codings surge can produce (RFC 9110 8.4.1), and their names.

#include <cstdint>
#include <optional>
#include <string_view>

namespace surge::detail {

enum class ContentCoding : std::uint8_t {
  kIdentity,
  kGzip,    // "gzip" (RFC 1952), by libdeflate for whole buffers and zlib for streams
  kBrotli,  // "br" (RFC 7932), libbrotlienc
  kZstd,    // "zstd" (RFC 8878), libzstd
};

inline constexpr std::size_t kCodingCount = 4;

/// The token sent in Content-Encoding: "identity", "gzip", "br", "zstd".
std::string_view coding_name(ContentCoding coding);

/// The coding a token names, case-insensitively ("x-gzip" is gzip, RFC 9110 8.4.1.3); nullopt for
/// a coding surge does not produce.
std::optional<ContentCoding> coding_from_name(std::string_view token);

/// Compression effort per coding: each library's own scale (gzip 1..12 for libdeflate, 1..9 for
/// zlib streams; brotli 0..11; zstd 1..19). Out-of-range values are clamped by the encoders.
struct CodingLevels {
  int gzip = 1;
  int brotli = 1;
  int zstd = 1;

  int of(ContentCoding coding) const {
    return coding == ContentCoding::kGzip ? gzip : coding == ContentCoding::kBrotli ? brotli : zstd;
  }
  bool operator==(const CodingLevels&) const = default;
};

/// The highest effort of each library: what answers prepared once at start-up are compressed with.
inline constexpr CodingLevels kBestLevels{12, 11, 19};

}  // namespace surge::detail
