#pragma once
// A peer's address as text, without allocating.

#include <netinet/in.h>

#include <string_view>

#include <surge/peer.hpp>

namespace surge::detail {

/// "10.1.2.3" or "2001:db8::1", written into out; empty if it cannot be formatted. IPv4 is
/// formatted here: inet_ntop goes through sprintf, about 1,700 instructions a call, and a proxied
/// request writes its client's address every time (X-Forwarded-For), as the access log does.
std::string_view peer_ip_text(const PeerAddress& peer, char (&out)[INET6_ADDRSTRLEN]);

}  // namespace surge::detail
