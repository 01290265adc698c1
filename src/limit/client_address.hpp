#pragma once
// ClientAddress: who the client is when surge runs behind load balancers (X-Forwarded-For,
// RFC 7239 Forwarded), trusting those headers only from configured proxies.

#include <cstddef>
#include <optional>
#include <string_view>

#include <surge/peer.hpp>
#include <surge/traffic_protection.hpp>

#include "http/grammar.hpp"

namespace surge::detail {

/// An IPv4 or IPv6 literal ("192.0.2.1", "2001:db8::1"), no brackets, port or zone. The result
/// keeps PeerAddress's form: IPv4, and IPv4-mapped IPv6 written as such, have is_v4 set.
std::optional<PeerAddress> parse_ip_literal(std::string_view text);

/// One hop of a forwarding header: an address with an optional port, "192.0.2.1",
/// "192.0.2.1:8080", "2001:db8::1", "[2001:db8::1]" or "[2001:db8::1]:8080" (the port, digits or
/// an RFC 7239 obfuscated "_name", is checked and dropped). nullopt for anything else, including
/// RFC 7239's "unknown" and obfuscated identifiers ("_hidden").
std::optional<PeerAddress> parse_node(std::string_view text);

/// Walks the hops of forwarding headers from the client's nearest proxy outwards: hops must be
/// fed right to left (the last header line first, each line's list from its end). The result is
/// the first hop that is not a trusted proxy; when every hop is trusted, the leftmost one (what
/// nginx's real_ip_recursive gives). A hop that cannot be parsed ends the walk at the last
/// valid hop before it (right of it), or at the peer: what a trusted proxy appended is right of
/// anything the client wrote, so garbage from the client can only cut the walk short of its own
/// claims, never make them believed.
class ForwardedWalk final {
 public:
  ForwardedWalk(const TrustedProxies& trusted, const PeerAddress& peer)
      : trusted_(trusted), result_(peer) {}

  /// Feeds one X-Forwarded-For line ("client, proxy1, proxy2").
  void x_forwarded_for(std::string_view line);
  /// Feeds one Forwarded line ("for=192.0.2.60;proto=http, for=\"[2001:db8::1]:80\"").
  void forwarded(std::string_view line);

  bool done() const { return done_; }
  /// Whether any hop was fed (a line holding only empty list elements feeds none).
  bool saw_hop() const { return saw_hop_; }
  const PeerAddress& result() const { return result_; }

 private:
  void hop(std::optional<PeerAddress> address);

  const TrustedProxies& trusted_;
  PeerAddress result_;
  bool done_ = false;
  bool saw_hop_ = false;
};

/// The client address of a request (see ClientAddressConfig): the TCP peer, unless the peer is a
/// trusted proxy and sent X-Forwarded-For (or, with use_forwarded, Forwarded when no
/// X-Forwarded-For came); then the ForwardedWalk's result. Always normalised(). Reads the
/// request's header lines in place: no allocation. Immutable after construction; any thread.
class ClientAddressResolver final {
 public:
  explicit ClientAddressResolver(ClientAddressConfig config) : config_(std::move(config)) {}

  /// `Request` has peer(), header_count() and header_at(i) with .name and .value (surge::Request,
  /// or a test double).
  template <class Request>
  PeerAddress resolve(const Request& request) const;

  const ClientAddressConfig& config() const { return config_; }

 private:
  ClientAddressConfig config_;
};

/// `address` with is_v4 set exactly when it is IPv4-mapped: a dual-stack socket reports IPv4
/// peers as ::ffff:a.b.c.d without it, and an IPv6 prefix must never cut an IPv4 address.
PeerAddress normalised(PeerAddress address);

template <class Request>
PeerAddress ClientAddressResolver::resolve(const Request& request) const {
  const PeerAddress peer = normalised(request.peer());
  if (config_.trusted_proxies.empty() || !config_.trusted_proxies.contains(peer)) return peer;
  ForwardedWalk xff(config_.trusted_proxies, peer);
  ForwardedWalk fwd(config_.trusted_proxies, peer);
  for (std::size_t i = request.header_count(); i-- > 0 && !xff.done();) {
    const auto field = request.header_at(i);
    if (iequals(field.name, "x-forwarded-for")) {
      xff.x_forwarded_for(field.value);
    } else if (config_.use_forwarded && !fwd.done() && iequals(field.name, "forwarded")) {
      fwd.forwarded(field.value);
    }
  }
  if (xff.saw_hop()) return xff.result();
  if (fwd.saw_hop()) return fwd.result();
  return peer;
}

}  // namespace surge::detail
