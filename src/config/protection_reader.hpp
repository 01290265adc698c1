#pragma once
// Traffic protection: "trusted_proxies", "use_forwarded_header", "rate_limits", "breakers" and
// "load_shedding" (README "Traffic protection"), and the names the rest of the file refers to.

#include <string>

#include "config/daemon_config.hpp"
#include "config/object_reader.hpp"

namespace surge::detail {

/// Reads the protection keys of the top-level object; each limit and breaker is checked by its
/// validate() at its JSON path.
void read_protection(ObjectReader& root, DaemonConfig& config);

/// Every name "middleware.rate_limit", a route or an upstream refers to must be defined, once per list, and a
/// limit applied to every request cannot also be a route's (it would count those requests
/// twice). Throws ConfigError naming `file` and the JSON path of the reference.
/// An array of statuses (502) or classes ("5xx") at key, into out (replaced when the key is there).
void read_status_ranges(ObjectReader& r, const std::string& key, std::vector<StatusRange>& out);

void check_protection_names(const DaemonConfig& config, const std::string& file);

}  // namespace surge::detail
