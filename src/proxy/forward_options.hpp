#pragma once
// ForwardOptions: how a proxy route rewrites what it forwards (README "Proxy").

#include <string>

#include <surge/traffic_protection.hpp>

namespace surge::detail {

/// What the upstream request's Host is.
enum class HostHeader : std::uint8_t {
  kPreserve,  // the client's (HAProxy's and Envoy's default)
  kUpstream,  // the address of the upstream server as configured ("app-2.internal:9001")
  kFixed,     // ForwardOptions::host_value
};

struct ForwardOptions {
  HostHeader host = HostHeader::kPreserve;
  std::string host_value;      // with kFixed
  std::string strip_prefix;    // removed from the front of the path when it is there ("/api")
  bool x_forwarded = true;     // X-Forwarded-For (appended), -Proto, -Host
  bool forwarded = false;      // RFC 7239 Forwarded: for=...;host=...;proto=http (appended)
  bool via = false;            // Via: 1.1 surged (appended, RFC 9110 7.6.3)
  // Whose X-Forwarded-For is kept: a client in these networks (another proxy) gets its list
  // appended to; anyone else's is replaced by its own address (it could be forged).
  TrustedProxies trusted_proxies;

  bool operator==(const ForwardOptions&) const = default;
};

}  // namespace surge::detail
