#pragma once
// StaticFiles: the `files` route handler, serving a directory tree (GET/HEAD, conditional and
// range requests) with the file sent by sendfile, never through user space; with compression on,
// a precompressed sibling ("name.br") or a cached compressed copy when the client takes one.

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <vector>

#include <surge/compression.hpp>
#include <surge/context.hpp>

#include "encoding/compression_policy.hpp"
#include "handlers/beneath_root.hpp"
#include "handlers/file_variant_cache.hpp"

namespace surge::detail {

/// A `files` route as configured.
struct StaticFilesConfig {
  // The directory served, absolute or relative to the working directory at construction (it is
  // opened once then; a later chdir or rename of the path does not matter). Required.
  std::string root;
  // The file served for a directory request ("dir/" or the route's root), a single file name (no
  // '/'). Empty: directories answer 404 (there are never listings). Default "index.html".
  std::string index = "index.html";
  // Cache-Control: max-age=N on 200/206/304 when > 0; no Cache-Control at all when 0. Default 0.
  std::chrono::seconds max_age{0};
  // The route's response compression. Unset or not enabled: every file goes as it is. Default
  // unset.
  std::optional<CompressionConfig> compression;
  // The number of workers that call serve() (Context::worker() is below it): each has its share
  // of compression.file_cache_bytes. Default 1.
  std::size_t workers = 1;
};

struct CodingRanking;

/// Serves the files below config.root for a route such as `GET /static/*path`.
///
/// Statuses: 200, 206 (single satisfiable byte range), 301 (a directory named without its
/// trailing slash; Location keeps the query), 304 (If-None-Match / If-Modified-Since), 403 (the
/// server may not read the file), 404 (missing, not a regular file, a directory without index, or
/// any path that would leave the root: "..", a leading '/', NUL, '\', a symlink pointing outside),
/// 405 (not GET/HEAD; with Allow), 412 (If-Match / If-Unmodified-Since), 416 (unsatisfiable
/// range), 503 (out of file descriptors or memory), 500 (any other open/fstat failure). Error
/// bodies are short text that never names a file-system path.
///
/// Compression (config.compression enabled), for a GET or HEAD of a file whose media type the
/// policy compresses: every answer carries Vary: Accept-Encoding, and the engine is told the
/// coding is decided. Without no-transform and (GET) Range, the codings the client accepts are
/// tried best first: a regular sibling "name.br" / ".zst" / ".gz" beneath the root is sent
/// instead (the original's Content-Type, its own validators, the ETag tagged with the coding);
/// else, with file_cache_bytes, the best coding of a file of min_length..max_length bytes is sent
/// from this worker's cache, compressed on a miss (the identity validators, ETag weakened).
/// Anything failing on the way falls back to identity.
///
/// Thread-safety: serve() is const; it shares the root descriptor and each worker's cache, which
/// only that worker (Context::worker()) touches, so every worker may use one instance
/// concurrently. Not copyable (it owns the root descriptor); movable.
class StaticFiles final {
 public:
  /// Opens config.root and settles the resolution (see BeneathRoot). Start-up only: throws
  /// std::invalid_argument naming the root when it is not an openable directory (or kOpenat2 was
  /// asked for on a kernel without it), naming the index when it is not a plain file name, or
  /// "static files compression: <field>: ..." for an enabled compression CompressionPolicy
  /// refuses.
  explicit StaticFiles(StaticFilesConfig config, PathResolution resolution = PathResolution::kAuto);
  ~StaticFiles() = default;
  StaticFiles(StaticFiles&& other) noexcept = default;
  StaticFiles& operator=(StaticFiles&& other) noexcept = default;
  StaticFiles(const StaticFiles&) = delete;
  StaticFiles& operator=(const StaticFiles&) = delete;

  /// Answers ctx for `relative_path`: the route's catch-all parameter, already percent-decoded by
  /// the router ("css/site.css"; empty for the route's root). Never throws; blocks only on the
  /// open(2)/fstat(2) of local files (and, for a cache miss, reading the file). Builds paths and
  /// headers on the stack; the only memory it asks for is a redirect's Location, from the
  /// context's arena, and a cache miss's copy. The file goes to the response with set_file_body,
  /// a cached copy with set_body (HEAD included: that is how the engine learns the
  /// Content-Length).
  void serve(Context& ctx, std::string_view relative_path) const;

  /// The resolution in use (kAuto resolved at construction).
  PathResolution resolution() const { return root_.resolution(); }

 private:
  // The name asked for: path then name (the index of a directory request, else empty).
  struct FileName {
    std::string_view path;
    std::string_view name;
  };
  // One worker's cache, on cache lines of its own.
  struct alignas(64) WorkerCache {
    FileVariantCache cache;
  };

  void serve_compressible(Context& ctx, int fd, const struct stat& st,
                          std::string_view content_type, FileName file) const;
  bool send_precompressed(Context& ctx, int fd, const CodingRanking& ranking,
                          std::string_view content_type, FileName file) const;
  int open_sibling(FileName file, ContentCoding coding, struct stat& st) const;
  bool send_cached(Context& ctx, int fd, const struct stat& st, ContentCoding coding,
                   std::string_view content_type, FileName file) const;

  StaticFilesConfig config_;
  BeneathRoot root_;                         // config_.root, held open
  std::string cache_control_;                // "max-age=N", or empty
  std::optional<CompressionPolicy> policy_;  // set when compression is enabled
  // The index's siblings by coding ("index.html.br"), for directory requests.
  std::array<std::string, kCodingCount> index_siblings_;
  // By worker; empty without file_cache_bytes. Mutable: a worker touches only its own.
  mutable std::vector<WorkerCache> caches_;
};

}  // namespace surge::detail
