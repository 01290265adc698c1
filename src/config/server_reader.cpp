#include "config/server_reader.hpp"

#include "config/daemon_config.hpp"

namespace surge::detail {

void read_server(ObjectReader& root, ServerConfig& c) {
  root.strings("listen", c.listen);
  root.integer("threads", c.threads, ServerRanges::kThreads);
  root.boolean("pin_workers", c.pin_workers);
  root.integer("backlog", c.backlog, ServerRanges::kBacklog);
  root.string("server_header", c.server_header);
  // Numbers only, each key and range listed once beside the others' (field_rules.hpp).
  root.object("limits", [&](ObjectReader& r) { r.fields(c.limits); });
  root.object("timeouts", [&](ObjectReader& r) { r.fields(c.timeouts); });
  root.object("shutdown", [&](ObjectReader& r) { r.fields(c.shutdown); });
  root.object("pools", [&](ObjectReader& r) { r.fields(c.pools); });
  root.object("offload", [&](ObjectReader& r) { r.fields(c.offload); });
}

void validate(const ServerConfig& config, const std::string& file) {
  try {
    surge::validate(config);
  } catch (const InvalidField& e) {
    throw ConfigError(file, "/" + e.field(), e.reason());
  }
}

}  // namespace surge::detail
