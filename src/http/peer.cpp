#include <surge/peer.hpp>

#include <arpa/inet.h>

namespace surge {

std::string PeerAddress::ip_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (is_v4) {
    inet_ntop(AF_INET, bytes.data() + 12, text, sizeof(text));
  } else {
    inet_ntop(AF_INET6, bytes.data(), text, sizeof(text));
  }
  return text;
}

}  // namespace surge
