#pragma once
// The "routes" section: each route's pattern, methods, limits, protection names and handler.

#include <vector>

#include "config/daemon_config.hpp"
#include "config/handler_kind.hpp"
#include "config/object_reader.hpp"

namespace surge::detail {

/// Reads "routes" when present (replacing the default routes). `config` holds every other
/// section, read already: a handler kind may look names up in it. Handler types come from
/// `kinds`.
void read_routes(ObjectReader& root, DaemonConfig& config, const HandlerKinds& kinds);

}  // namespace surge::detail
