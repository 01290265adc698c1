#include "config/config_loader.hpp"

#include <fstream>
#include <sstream>

#include <surge/error.hpp>

#include "config/compression_reader.hpp"
#include "config/handlers/builtin_kinds.hpp"
#include "config/middleware_reader.hpp"
#include "config/object_reader.hpp"
#include "config/observability_reader.hpp"
#include "config/protection_reader.hpp"
#include "config/route_reader.hpp"
#include "config/server_reader.hpp"
#include "config/upstream_reader.hpp"

namespace surge::detail {

DaemonConfig parse_config(std::string_view json_text, const std::string& file) {
  return parse_config(json_text, file, builtin_handler_kinds());
}

DaemonConfig parse_config(std::string_view json_text, const std::string& file, const HandlerKinds& kinds) {
  DaemonConfig config;
  read_document(json_text, file, [&](ObjectReader& root) {
    read_server(root, config.server);
    root.object("log", [&](ObjectReader& r) { read_log(r, config.log); });
    root.object("builtins", [&](ObjectReader& r) { read_builtins(r, config.builtins); });
    root.object("metrics", [&](ObjectReader& r) { read_metrics(r, config.metrics); });
    root.object("access_log", [&](ObjectReader& r) { read_access_log(r, config.access_log); });
    root.object("middleware", [&](ObjectReader& r) { read_middleware(r, config.middleware); });
    read_protection(root, config);
    read_upstreams(root, config);
    root.object("compression", [&](ObjectReader& r) { read_compression(r, config.compression); });
    // Last, whatever the order of the file's keys: a handler kind may look names up in every
    // section above (a proxy route names one of the "upstreams").
    read_routes(root, config, kinds);
  });
  // Rules between sections, once every key is known.
  validate(config.server, file);
  check_protection_names(config, file);
  return config;
}

DaemonConfig load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, "", "cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

}  // namespace surge::detail
