#include "proxy/header_rewrite.hpp"

#include <arpa/inet.h>

#include <boost/beast/http/field.hpp>

#include "http/grammar.hpp"
#include "http/peer_text.hpp"

namespace surge::detail {
namespace {

using boost::beast::http::field;

constexpr std::uint16_t id(field f) { return static_cast<std::uint16_t>(f); }

// RFC 9110 7.6.1, and the pre-standard ones every proxy also drops.
bool hop_by_hop(std::uint16_t f) {
  return f == id(field::connection) || f == id(field::keep_alive) || f == id(field::proxy_connection) ||
         f == id(field::te) || f == id(field::trailer) || f == id(field::transfer_encoding) ||
         f == id(field::upgrade);
}

// Whether name is one of the tokens of the Connection fields among fields[0..count).
bool named_by_connection(std::string_view name, const char* base, const HeaderEntry* fields, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    if (fields[i].field == id(field::connection) && list_has_token(fields[i].value.in(base), name)) return true;
  }
  return false;
}

bool any_connection_field(const HeaderEntry* fields, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    if (fields[i].field == id(field::connection)) return true;
  }
  return false;
}

void put(ByteBuffer& out, std::string_view a) { out.append(a); }

void put_field(ByteBuffer& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

// The client's address without allocating ("10.1.2.3", "2001:db8::1").
std::string_view address_text(const PeerAddress& peer, char (&text)[INET6_ADDRSTRLEN]) {
  const std::string_view address = peer_ip_text(peer, text);
  return address.empty() ? std::string_view("unknown") : address;
}

std::string_view target_path(std::string_view path, const std::string& strip) {
  if (strip.empty() || path.substr(0, strip.size()) != strip) return path;
  std::string_view rest = path.substr(strip.size());
  if (!rest.empty() && rest.front() != '/') return path;  // "/api" does not strip "/apis"
  return rest.empty() ? std::string_view("/") : rest;
}

}  // namespace

std::string_view field_value(std::string_view name, const char* base, const HeaderEntry* fields, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    if (iequals(fields[i].name.in(base), name)) return fields[i].value.in(base);
  }
  return {};
}

std::string_view requested_upgrade(const Exchange& ex) {
  const RequestHead& head = ex.head();
  if (head.version < 11) return {};
  const HeaderEntry* fields = &ex.header(0);
  if (!any_connection_field(fields, head.header_count) ||
      !named_by_connection("upgrade", ex.base(), fields, head.header_count)) {
    return {};
  }
  return trim_ows(field_value("upgrade", ex.base(), fields, head.header_count));
}

UpstreamFraming upstream_framing(const RequestHead& head) {
  if (head.chunked) return UpstreamFraming::kChunked;
  if (head.has_content_length && head.content_length > 0) return UpstreamFraming::kContentLength;
  return UpstreamFraming::kNone;
}

void write_upstream_head(ByteBuffer& out, const Exchange& ex, const ForwardOptions& options,
                         std::string_view upstream_address) {
  const RequestHead& head = ex.head();
  const char* base = ex.base();
  const HeaderEntry* fields = &ex.header(0);
  const std::size_t count = head.header_count;

  put(out, ex.view(head.method_text));
  put(out, " ");
  const std::string_view path = target_path(ex.view(head.path), options.strip_prefix);
  put(out, path.empty() ? std::string_view("/") : path);
  if (head.query.size > 0 || (head.target.size > 0 && ex.view(head.target).find('?') != std::string_view::npos)) {
    put(out, "?");
    put(out, ex.view(head.query));
  }
  put(out, " HTTP/1.1\r\n");

  const bool client_is_proxy = options.trusted_proxies.contains(ex.peer());
  char peer_text[INET6_ADDRSTRLEN];
  const std::string_view peer = address_text(ex.peer(), peer_text);
  std::string_view forwarded_for;  // the client's X-Forwarded-For, kept when it is a trusted proxy
  std::string_view host = ex.view(head.host);
  // Most requests name nothing in Connection: the per-field search is skipped then.
  const bool has_connection = any_connection_field(fields, count);
  for (std::size_t i = 0; i < count; ++i) {
    const HeaderEntry& f = fields[i];
    const std::string_view name = f.name.in(base);
    const std::string_view value = f.value.in(base);
    if (hop_by_hop(f.field) || f.field == id(field::content_length) || f.field == id(field::expect) ||
        f.field == id(field::host)) {
      continue;
    }
    if (has_connection && named_by_connection(name, base, fields, count)) continue;
    if (options.x_forwarded && (iequals(name, "x-forwarded-for") || iequals(name, "x-forwarded-proto") ||
                                iequals(name, "x-forwarded-host"))) {
      // Only a trusted proxy's list is kept (one field: the last one wins, as RFC 9110 5.3 joins).
      if (client_is_proxy && iequals(name, "x-forwarded-for")) forwarded_for = value;
      continue;
    }
    if (!ex.request_id().empty() && iequals(name, "x-request-id")) continue;
    put_field(out, name, value);
  }

  switch (options.host) {
    case HostHeader::kPreserve:
      if (!host.empty()) put_field(out, "Host", host);
      else put_field(out, "Host", upstream_address);  // HTTP/1.0 without Host
      break;
    case HostHeader::kUpstream:
      put_field(out, "Host", upstream_address);
      break;
    case HostHeader::kFixed:
      put_field(out, "Host", options.host_value);
      break;
  }
  switch (upstream_framing(head)) {
    case UpstreamFraming::kNone:
      break;
    case UpstreamFraming::kContentLength: {
      char digits[24];
      const int n = std::snprintf(digits, sizeof(digits), "%llu",
                                  static_cast<unsigned long long>(head.content_length));
      put_field(out, "Content-Length", std::string_view(digits, static_cast<std::size_t>(n)));
      break;
    }
    case UpstreamFraming::kChunked:
      put_field(out, "Transfer-Encoding", "chunked");
      break;
  }
  if (options.x_forwarded) {
    put(out, "X-Forwarded-For: ");
    if (!forwarded_for.empty()) {
      put(out, forwarded_for);
      put(out, ", ");
    }
    put(out, peer);
    put(out, "\r\nX-Forwarded-Proto: http\r\n");
    if (!host.empty()) put_field(out, "X-Forwarded-Host", host);
  }
  if (options.forwarded) {
    put(out, "Forwarded: for=");
    const bool v6 = !ex.peer().is_v4;
    put(out, v6 ? "\"[" : "");
    put(out, peer);
    put(out, v6 ? "]\"" : "");
    if (!host.empty() && is_token(host)) {
      put(out, ";host=");
      put(out, host);
    }
    put(out, ";proto=http\r\n");
  }
  if (options.via) put(out, head.version == 10 ? "Via: 1.0 surged\r\n" : "Via: 1.1 surged\r\n");
  if (has_connection) {
    if (const std::string_view upgrade = requested_upgrade(ex); !upgrade.empty()) {
      put_field(out, "Upgrade", upgrade);
      put(out, "Connection: upgrade\r\n");
    }
  }
  if (!ex.request_id().empty()) put_field(out, "X-Request-ID", ex.request_id());
  put(out, "\r\n");
}

bool passes_to_client(const HeaderEntry& f, const char* base, const HeaderEntry* fields, std::size_t count) {
  if (hop_by_hop(f.field) || f.field == id(field::content_length) || f.field == id(field::date) ||
      f.field == id(field::server)) {
    return false;
  }
  return !named_by_connection(f.name.in(base), base, fields, count);
}

}  // namespace surge::detail
