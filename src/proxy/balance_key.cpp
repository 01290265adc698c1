#include "proxy/balance_key.hpp"

#include <surge/context.hpp>

#include "http/grammar.hpp"
#include "upstream/balance_host.hpp"

namespace surge::detail {
namespace {

// RFC 6265 cookie-string: "a=1; b=2" (a user agent sends one Cookie field).
std::optional<std::string_view> cookie(const Request& request, std::string_view name) {
  std::string_view rest = request.header("cookie").value_or(std::string_view());
  while (!rest.empty()) {
    const std::size_t semi = rest.find(';');
    const std::string_view pair = trim_ows(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> balance_key(Exchange& ex, const UpstreamBalance& balance) {
  if (balance.hash_on == HashSource::kNone) return std::nullopt;
  const Request& request = ex.context().request();
  std::optional<std::string_view> key;
  switch (balance.hash_on) {
    case HashSource::kNone:
      break;
    case HashSource::kHeader:
      key = request.header(balance.hash_name);
      break;
    case HashSource::kCookie:
      key = cookie(request, balance.hash_name);
      break;
    case HashSource::kParam:
      key = ex.param(balance.hash_name);
      break;
    case HashSource::kClientAddress: {
      const PeerAddress& peer = ex.peer();
      key = std::string_view(reinterpret_cast<const char*>(peer.bytes.data()), peer.bytes.size());
      break;
    }
  }
  if (!key || key->empty()) return std::nullopt;
  return hash_key(*key);
}

}  // namespace surge::detail
