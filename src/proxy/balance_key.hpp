#pragma once
// balance_key: what a hashing balancer hashes for one request (its "hash_on").

#include <cstdint>
#include <optional>

#include "http/exchange.hpp"
#include "upstream/upstream_config.hpp"

namespace surge::detail {

/// hash_key() of the request's header, cookie, path parameter or client address, as the
/// upstream's balance.hash_on names; nullopt when the policy hashes nothing or the request lacks
/// the key (that request is balanced by least-request). The client address is the connection's
/// peer: behind another proxy, hash a header it sets instead.
std::optional<std::uint64_t> balance_key(Exchange& exchange, const UpstreamBalance& balance);

}  // namespace surge::detail
