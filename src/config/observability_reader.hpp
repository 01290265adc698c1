#pragma once
// The sections that say how surged is watched: "log", "metrics", "access_log", and "builtins"
// (the health endpoints).

#include "config/daemon_config.hpp"
#include "config/object_reader.hpp"

namespace surge::detail {

void read_log(ObjectReader& section, LogConfig& config);
void read_metrics(ObjectReader& section, MetricsConfig& config);
void read_access_log(ObjectReader& section, AccessLogConfig& config);
void read_builtins(ObjectReader& section, BuiltinsConfig& config);

}  // namespace surge::detail
