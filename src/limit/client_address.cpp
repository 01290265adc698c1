#include "limit/client_address.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <stdexcept>
#include <string>

namespace surge {
namespace {

constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool is_mapped(const std::array<std::uint8_t, 16>& bytes) {
  return std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), bytes.begin());
}

// Whether the first `bits` bits of a and b are equal.
bool same_prefix(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                 unsigned bits) {
  const unsigned full = bits / 8;
  if (std::memcmp(a.data(), b.data(), full) != 0) return false;
  if (bits % 8 == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff00u >> (bits % 8));
  return (a[full] & mask) == (b[full] & mask);
}

std::array<std::uint8_t, 16> masked(std::array<std::uint8_t, 16> bytes, unsigned bits) {
  for (unsigned i = 0; i < 16; ++i) {
    if (bits >= 8 * (i + 1)) continue;
    bytes[i] &= bits <= 8 * i ? 0 : static_cast<std::uint8_t>(0xff00u >> (bits % 8));
  }
  return bytes;
}

std::string address_text(const std::array<std::uint8_t, 16>& bytes, bool v4) {
  char text[INET6_ADDRSTRLEN] = {};
  if (v4) {
    inet_ntop(AF_INET, bytes.data() + 12, text, sizeof(text));
  } else {
    inet_ntop(AF_INET6, bytes.data(), text, sizeof(text));
  }
  return text;
}

[[noreturn]] void refuse(std::string_view cidr, const std::string& why) {
  throw std::invalid_argument("trusted proxy \"" + std::string(cidr) + "\": " + why);
}

}  // namespace

TrustedProxies::TrustedProxies(const std::vector<std::string>& cidrs) {
  for (const std::string& cidr : cidrs)
    add(cidr);
}

void TrustedProxies::add(std::string_view cidr) {
  const std::size_t slash = cidr.find('/');
  const std::optional<PeerAddress> address = detail::parse_ip_literal(cidr.substr(0, slash));
  if (!address) refuse(cidr, "expected an IPv4 or IPv6 address, optionally with /prefix");
  const bool v4 = address->is_v4;
  const unsigned max_bits =
      v4 && cidr.substr(0, slash).find(':') == std::string_view::npos ? 32 : 128;
  unsigned bits = max_bits;
  if (slash != std::string_view::npos) {
    const std::string_view digits = cidr.substr(slash + 1);
    if (digits.empty() || digits.size() > 3 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      refuse(cidr, "the prefix length must be a number");
    }
    bits = static_cast<unsigned>(std::stoul(std::string(digits)));
    if (bits > max_bits) refuse(cidr, "the prefix length is at most " + std::to_string(max_bits));
  }
  // Written as IPv4 (/0..32) or as IPv4-mapped IPv6 (/96..128): either way an IPv4 network.
  Network network;
  network.v4 = v4 && (max_bits == 32 || bits >= 96);
  network.prefix = static_cast<std::uint8_t>(max_bits == 32 ? 96 + bits : bits);
  network.bytes = masked(address->bytes, network.prefix);
  if (network.bytes != address->bytes) {
    const unsigned shown = max_bits == 32 ? bits : network.prefix;
    refuse(cidr, "address bits are set beyond the /" + std::to_string(shown) +
                     " prefix (did you mean \"" + address_text(network.bytes, max_bits == 32) +
                     "/" + std::to_string(shown) + "\"?)");
  }
  networks_.push_back(network);
}

bool TrustedProxies::contains(const PeerAddress& address) const {
  const bool mapped = is_mapped(address.bytes);
  for (const Network& network : networks_) {
    if (network.v4 == mapped && same_prefix(network.bytes, address.bytes, network.prefix)) {
      return true;
    }
  }
  return false;
}

namespace detail {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool is_digits(std::string_view s) {
  return !s.empty() && s.size() <= 5 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// RFC 7239 obfport / obfnode: "_" followed by ALPHA / DIGIT / "." / "_" / "-".
bool is_obfuscated(std::string_view s) {
  return s.size() >= 2 && s.front() == '_' && std::all_of(s.begin() + 1, s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
         });
}

bool is_port(std::string_view s) {
  return is_digits(s) || is_obfuscated(s);
}

// Calls visit(element) for each element of a comma-separated list, right to left, until it
// returns false. Quoting is not honoured: see ForwardedWalk for why that is safe.
template <class Visit>
void for_each_from_right(std::string_view line, Visit&& visit) {
  std::size_t end = line.size();
  for (;;) {
    const std::size_t comma = end == 0 ? std::string_view::npos : line.rfind(',', end - 1);
    const std::size_t begin = comma == std::string_view::npos ? 0 : comma + 1;
    if (!visit(trim(line.substr(begin, end - begin))) || comma == std::string_view::npos) return;
    end = comma;
  }
}

// The for= value of one Forwarded element ("for=x;proto=https;by=y"), unquoted; nullopt when it
// has none, has it twice, or is not well-formed.
std::optional<std::string_view> forwarded_for(std::string_view element) {
  std::optional<std::string_view> found;
  while (!element.empty()) {
    const std::size_t semicolon = element.find(';');
    const std::string_view pair = trim(element.substr(0, semicolon));
    element =
        semicolon == std::string_view::npos ? std::string_view() : element.substr(semicolon + 1);
    const std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos || equals == 0) return std::nullopt;
    if (!iequals(pair.substr(0, equals), "for")) continue;
    if (found) return std::nullopt;  // a parameter may occur once per element (RFC 7239 4)
    std::string_view value = pair.substr(equals + 1);
    if (!value.empty() && value.front() == '"') {
      // Quoted. No escapes: a for= value never needs one, so a backslash is malformed.
      if (value.size() < 2 || value.back() != '"') return std::nullopt;
      value = value.substr(1, value.size() - 2);
      if (value.find_first_of("\"\\") != std::string_view::npos) return std::nullopt;
    } else if (value.find_first_of("[]:\"") != std::string_view::npos) {
      return std::nullopt;  // IPv6 and ports must be quoted
    }
    found = value;
  }
  return found;
}

}  // namespace

PeerAddress normalised(PeerAddress address) {
  address.is_v4 = is_mapped(address.bytes);
  return address;
}

std::optional<PeerAddress> parse_ip_literal(std::string_view text) {
  // inet_pton wants a C string; the longest valid literal is 45 characters.
  char buffer[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof(buffer)) return std::nullopt;
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  PeerAddress address;
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buffer, address.bytes.data() + 12) != 1) return std::nullopt;
    address.bytes[10] = address.bytes[11] = 0xff;
    address.is_v4 = true;
    return address;
  }
  if (inet_pton(AF_INET6, buffer, address.bytes.data()) != 1) return std::nullopt;
  address.is_v4 = is_mapped(address.bytes);
  return address;
}

std::optional<PeerAddress> parse_node(std::string_view text) {
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !is_port(rest.substr(1)))) return std::nullopt;
    const std::string_view inside = text.substr(1, close - 1);
    if (inside.find(':') == std::string_view::npos) return std::nullopt;  // [192.0.2.1]
    return parse_ip_literal(inside);
  }
  const std::size_t colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    // Exactly one colon: IPv4 with a port.
    if (!is_port(text.substr(colon + 1))) return std::nullopt;
    const std::optional<PeerAddress> address = parse_ip_literal(text.substr(0, colon));
    return address && address->is_v4 ? address : std::nullopt;
  }
  return parse_ip_literal(text);
}

void ForwardedWalk::hop(std::optional<PeerAddress> address) {
  saw_hop_ = true;
  if (!address) {
    done_ = true;
    return;
  }
  result_ = *address;
  done_ = !trusted_.contains(*address);
}

void ForwardedWalk::x_forwarded_for(std::string_view line) {
  for_each_from_right(line, [this](std::string_view element) {
    if (!element.empty())
      hop(parse_node(element));  // empty list elements are allowed (RFC 9110 5.6.1)
    return !done_;
  });
}

void ForwardedWalk::forwarded(std::string_view line) {
  for_each_from_right(line, [this](std::string_view element) {
    if (!element.empty()) {
      const std::optional<std::string_view> node = forwarded_for(element);
      hop(node ? parse_node(*node) : std::nullopt);
    }
    return !done_;
  });
}

}  // namespace detail
}  // namespace surge
