#pragma once
// StaticFiles: the `files` route handler, serving a directory tree (GET/HEAD, conditional and
// range requests) with the file sent by sendfile, never through user space.

#include <chrono>
#include <string>
#include <string_view>

#include <surge/context.hpp>

#include "handlers/beneath_root.hpp"

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
};

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
/// Thread-safety: serve() is const and shares only the root descriptor, so every worker may use
/// one instance concurrently. Not copyable (it owns the root descriptor); movable.
class StaticFiles final {
 public:
  /// Opens config.root and settles the resolution (see BeneathRoot). Start-up only: throws
  /// std::invalid_argument naming the root when it is not an openable directory (or kOpenat2 was
  /// asked for on a kernel without it), or naming the index when it is not a plain file name.
  explicit StaticFiles(StaticFilesConfig config, PathResolution resolution = PathResolution::kAuto);
  ~StaticFiles() = default;
  StaticFiles(StaticFiles&& other) noexcept = default;
  StaticFiles& operator=(StaticFiles&& other) noexcept = default;
  StaticFiles(const StaticFiles&) = delete;
  StaticFiles& operator=(const StaticFiles&) = delete;

  /// Answers ctx for `relative_path`: the route's catch-all parameter, already percent-decoded by
  /// the router ("css/site.css"; empty for the route's root). Never throws; blocks only on the
  /// open(2)/fstat(2) of local files. Builds paths and headers on the stack; the only memory it
  /// asks for is a redirect's Location, from the context's arena. The file goes to the response
  /// with set_file_body (HEAD included: that is how the engine learns the Content-Length).
  void serve(Context& ctx, std::string_view relative_path) const;

  /// The resolution in use (kAuto resolved at construction).
  PathResolution resolution() const { return root_.resolution(); }

 private:
  StaticFilesConfig config_;
  BeneathRoot root_;           // config_.root, held open
  std::string cache_control_;  // "max-age=N", or empty
};

}  // namespace surge::detail
