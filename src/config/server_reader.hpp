#pragma once
// The engine's part of the file: the top-level keys of ServerConfig and its sections.

#include <surge/config.hpp>

#include "config/object_reader.hpp"

namespace surge::detail {

/// "listen", "threads", "pin_workers", "backlog", "server_header", and the sections "limits",
/// "timeouts", "shutdown", "pools" and "offload" (README "Configuration"). The rules between
/// fields are checked once the whole file is read (validate(ServerConfig, file)).
void read_server(ObjectReader& root, ServerConfig& config);

}  // namespace surge::detail
