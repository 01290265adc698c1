#include <surge/peer.hpp>

#include <arpa/inet.h>

#include "http/peer_text.hpp"

namespace surge {

std::string PeerAddress::ip_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  return std::string(detail::peer_ip_text(*this, text));
}

namespace detail {

std::string_view peer_ip_text(const PeerAddress& peer, char (&out)[INET6_ADDRSTRLEN]) {
  if (!peer.is_v4) {
    return ::inet_ntop(AF_INET6, peer.bytes.data(), out, sizeof(out)) != nullptr ? std::string_view(out)
                                                                                 : std::string_view();
  }
  char* p = out;
  for (int i = 12; i < 16; ++i) {
    const unsigned octet = peer.bytes[i];
    if (octet >= 100) *p++ = static_cast<char>('0' + octet / 100);
    if (octet >= 10) *p++ = static_cast<char>('0' + octet / 10 % 10);
    *p++ = static_cast<char>('0' + octet % 10);
    if (i != 15) *p++ = '.';
  }
  return {out, static_cast<std::size_t>(p - out)};
}

}  // namespace detail
}  // namespace surge
