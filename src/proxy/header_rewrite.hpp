#pragma once
// The head of the request a proxy route sends upstream, and the response fields it passes back.

#include <string_view>

#include "http/exchange.hpp"
#include "http/response_parser.hpp"
#include "memory/byte_buffer.hpp"
#include "proxy/forward_options.hpp"

namespace surge::detail {

/// How the forwarded request's body is framed (it is re-framed, never copied as it came).
enum class UpstreamFraming : std::uint8_t { kNone, kContentLength, kChunked };

/// The framing of the request's body on the upstream leg.
UpstreamFraming upstream_framing(const RequestHead& head);

/// The Upgrade field's value when the request asks to switch protocols (HTTP/1.1, an Upgrade
/// field, and "upgrade" among the Connection tokens: RFC 9110 7.8), else empty.
std::string_view requested_upgrade(const Exchange& exchange);

/// Writes the request line and header section for the upstream into out: the client's method and
/// target (prefix stripped), its fields minus the hop-by-hop ones (Connection and every field it
/// names, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade; RFC 9110 7.6.1),
/// minus Expect (surged answered it) and the framing, which is written anew; then Host, the
/// X-Forwarded-* / Forwarded / Via fields as configured, and the request id. HTTP/1.1, keep-alive;
/// a request asking to upgrade keeps its Upgrade field, with "Connection: upgrade".
void write_upstream_head(ByteBuffer& out, const Exchange& exchange, const ForwardOptions& options,
                         std::string_view upstream_address);

/// The value of the field named `name` among fields[0..count), or empty.
std::string_view field_value(std::string_view name, const char* base, const HeaderEntry* fields, std::size_t count);

/// Whether a response field goes back to the client: not hop-by-hop, not named by the response's
/// Connection, not the framing (the engine writes it for the client's leg) nor Date and Server
/// (the engine writes its own).
bool passes_to_client(const HeaderEntry& field, const char* base, const HeaderEntry* fields,
                      std::size_t count);

}  // namespace surge::detail
