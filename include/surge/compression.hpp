#pragma once
// Response compression: which responses surge compresses, with what, and how hard.

#include <cstdint>
#include <string>
#include <vector>

namespace surge {

/// How a route compresses its responses (README "Compression"). The coding is negotiated from
/// the request's Accept-Encoding (RFC 9110 12.5.3); a response that could have been encoded
/// carries Vary: Accept-Encoding whatever was chosen. Never encoded: 1xx, 204, 206 and 304
/// answers, a response that has a Content-Encoding or a Content-Range already, or whose
/// Cache-Control (or the request's) says no-transform. An encoded response's strong ETag is
/// weakened ("W/"), so that it is never shared between encodings.
struct CompressionConfig {
  /// Off unless set. Default false.
  bool enabled = false;
  /// The codings offered, in the server's order of preference (a client's equal qvalues go to the
  /// earlier): "zstd", "br", "gzip". Default {"zstd", "br", "gzip"}.
  std::vector<std::string> encodings{"zstd", "br", "gzip"};
  /// Media types compressed (compared without parameters and case); "text/*" takes every text
  /// type. Default: text/*, JSON, JavaScript, XML, SVG, wasm and the like (README).
  std::vector<std::string> types{"text/*",
                                 "application/json",
                                 "application/problem+json",
                                 "application/javascript",
                                 "application/xml",
                                 "application/xhtml+xml",
                                 "application/rss+xml",
                                 "application/atom+xml",
                                 "application/manifest+json",
                                 "application/ld+json",
                                 "application/wasm",
                                 "image/svg+xml",
                                 "image/x-icon",
                                 "font/ttf",
                                 "font/otf"};
  /// Bodies shorter than this many bytes go as they are (a body of unknown length is compressed).
  /// Default 256.
  std::uint64_t min_length = 256;
  /// Work done per request (handler bodies, proxied and streamed bodies, files without a
  /// precompressed sibling) stops at bodies announced longer than this many bytes, which go as
  /// they are. Default 8 MiB.
  std::uint64_t max_length = 8ull * 1024 * 1024;
  /// Effort of the work done per request: gzip 1..9, brotli 0..11, zstd 1..19. Fixed bodies
  /// (text and json routes) are compressed once, at start-up, at each library's best. Defaults 1,
  /// 1, 1: about nginx's gzip_comp_level 1 in CPU, which is what a server on the request path can
  /// afford.
  int gzip_level = 1;
  int brotli_level = 1;
  int zstd_level = 1;
  /// Files: serve "name.br", "name.zst" or "name.gz" beside "name" when the client takes that
  /// coding (nginx's gzip_static), with sendfile. Default true.
  bool precompressed = true;
  /// Files without a precompressed sibling: compressed copies kept per worker, keyed by path,
  /// size and modification time, up to this many bytes in all; 0 compresses none. Default 0.
  std::uint64_t file_cache_bytes = 0;

  bool operator==(const CompressionConfig&) const = default;
};

}  // namespace surge
