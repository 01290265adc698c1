#include "proxy/balance_key.hpp"

#include "http/grammar.hpp"
#include "upstream/balancer.hpp"

namespace surge::detail {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 6265 cookie-string: "a=1; b=2", possibly over several Cookie fields.
std::optional<std::string_view> cookie(const Exchange& ex, std::string_view name) {
  for (std::size_t i = 0; i < ex.head().header_count; ++i) {
    if (!iequals(ex.view(ex.header(i).name), "cookie")) continue;
    std::string_view rest = ex.view(ex.header(i).value);
    while (!rest.empty()) {
      const std::size_t semi = rest.find(';');
      const std::string_view pair = trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      const std::size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> header(const Exchange& ex, std::string_view name) {
  for (std::size_t i = 0; i < ex.head().header_count; ++i) {
    if (iequals(ex.view(ex.header(i).name), name)) return ex.view(ex.header(i).value);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> balance_key(const Exchange& ex, const UpstreamBalance& balance) {
  std::optional<std::string_view> key;
  switch (balance.hash_on) {
    case HashSource::kNone:
      return std::nullopt;
    case HashSource::kHeader:
      key = header(ex, balance.hash_name);
      break;
    case HashSource::kCookie:
      key = cookie(ex, balance.hash_name);
      break;
    case HashSource::kParam: {
      const std::string_view value = ex.param(balance.hash_name);
      if (!value.empty()) key = value;
      break;
    }
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
