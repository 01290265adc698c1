// "type": "files": serves a directory on a route whose pattern ends in a catch-all.
//   {"path": "/static/*path", "handler": {"type": "files", "root": "/srv/www",
//    "index": "index.html", "max_age_s": 0}}
// Its files are compressed by the route's "compression" (precompressed siblings, a cache).

#include <chrono>
#include <memory>
#include <utility>

#include "config/daemon_config.hpp"
#include "config/handler_kind.hpp"
#include "config/object_reader.hpp"
#include "handlers/static_files.hpp"
#include "server/worker_pool.hpp"

namespace surge::detail {
namespace {

struct FilesHandlerConfig {
  std::string root;                  // the directory; required
  std::string index = "index.html";  // served for a directory; "" for none
  std::chrono::seconds max_age{0};   // Cache-Control max-age, seconds; 0 sends none

  bool operator==(const FilesHandlerConfig&) const = default;
};

FilesHandlerConfig read_config(ObjectReader& handler, const HandlerReadContext& route) {
  FilesHandlerConfig c;
  handler.string("root", c.root);
  if (c.root.empty()) handler.fail("root", "a directory is required");
  handler.string("index", c.index);
  std::int64_t max_age = 0;
  handler.integer("max_age_s", max_age, IntRange{0, 10LL * 365 * 24 * 3600});
  c.max_age = std::chrono::seconds(max_age);
  if (route.params.empty() || route.pattern.find('*') == std::string_view::npos) {
    handler.fail("type",
                 "a files route needs a pattern ending in a catch-all, such as /static/*path");
  }
  return c;
}

// Opens the root now: a root that cannot be opened fails the build (and --check-config). The
// route's compression decides the coding of its files here: the engine leaves file bodies alone.
Handler make_handler(const FilesHandlerConfig& c, const HandlerBuildContext& route) {
  StaticFilesConfig config{.root = c.root, .index = c.index, .max_age = c.max_age};
  if (route.compression != nullptr) config.compression = *route.compression;
  // Each worker gets its share of the compressed-file cache: as many shares as the daemon starts.
  config.workers = worker_count(route.config.server);
  auto files = std::make_shared<const StaticFiles>(std::move(config));
  std::string catch_all = route.params.back();
  return [files, catch_all](Context& ctx) { files->serve(ctx, ctx.param(catch_all)); };
}

}  // namespace

HandlerKind files_kind() {
  return handler_kind<FilesHandlerConfig>("files", read_config, make_handler);
}

}  // namespace surge::detail
