#pragma once
// The "middleware" section: recover, request_id, cors, and the global rate limits by name.

#include "config/daemon_config.hpp"
#include "config/object_reader.hpp"

namespace surge::detail {

/// README "middleware". The rate limit names are checked against "rate_limits" once the whole
/// file is read (check_protection_names).
void read_middleware(ObjectReader& section, MiddlewareConfig& config);

}  // namespace surge::detail
