#pragma once
// "upstreams": the named upstreams proxy routes forward to (README "Proxy").

#include "config/daemon_config.hpp"
#include "config/object_reader.hpp"

namespace surge::detail {

/// Reads "upstreams" of the top-level object into config.upstreams; each upstream is checked by
/// its validate() at its JSON path.
void read_upstreams(ObjectReader& root, DaemonConfig& config);

/// An upstream's "retry" object, or a proxy route's (which starts from its upstream's).
void read_retry(ObjectReader& r, UpstreamRetry& retry);

}  // namespace surge::detail
