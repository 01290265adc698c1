#pragma once
// Tunnel: a client connection and an upstream connection relayed as bytes after the upstream's 101.

#include <cstdint>
#include <string_view>

#include "memory/byte_buffer.hpp"
#include "net/event_poller.hpp"
#include "net/socket.hpp"
#include "upstream/upstream_pools.hpp"

namespace spdlog {
class logger;
}

namespace surge::detail {

/// What the WebSocket (or any Upgrade) becomes once the upstream agreed: no more HTTP on either
/// side, bytes copied both ways as they come, with back-pressure (a side is not read while the
/// other has not taken what was read from it) and half-close passed on (a FIN from one side
/// becomes a shutdown of the other's writing; the tunnel ends once both sides have ended, either
/// fails, or it idles past its cluster's tunnels.idle_timeout). Memory: a buffer per direction
/// while bytes are on their way, none while the tunnel idles.
///
/// It is the client socket's poll target (taken over from the HTTP session) and the upstream
/// connection's user (lent by its pool, never given back). Both sockets' events run the same
/// relay. Worker thread only; its cluster's pool owns it (ClusterPool::add_tunnel).
class Tunnel final : public UpstreamTunnel, public PollTarget, public UpstreamUser {
 public:
  /// Takes over client_fd (registered with the poller by the session that released it) and
  /// upstream (lent by host): to_client is what the client is owed already (the 101's head, and
  /// any bytes the upstream sent behind it), to_upstream what the client sent behind its
  /// request. False when the client's socket cannot be taken over: both are closed.
  static bool open(ClusterPool& pool, HostPool& host, UpstreamConnection& upstream, int client_fd,
                   std::string_view to_client, std::string_view to_upstream, spdlog::logger& log);

  void on_events(std::uint32_t events) override;
  void on_upstream_events(std::uint32_t events) override;
  void on_upstream_deadline() override {}  // never armed: the tunnel has its own idle deadline
  void on_deadline() override;
  void close_now() override;

 private:
  // One direction of the relay: bytes read from one side, not yet all written to the other.
  struct Direction {
    explicit Direction(SlabPool* buffers) : pending(buffers) {}
    ByteBuffer pending;
    std::size_t sent = 0;
    bool ended = false;  // the source sent its FIN and it was passed on
  };
  enum class Relay : std::uint8_t { kIdle, kMore, kFailed };

  Tunnel(ClusterPool& pool, HostPool& host, UpstreamConnection& upstream, spdlog::logger& log);
  ~Tunnel() override = default;

  void pump();
  Relay relay(Socket& from, Socket& to, Direction& d, bool& moved);
  void close(std::string_view why);

  ClusterPool& pool_;
  HostPool& host_;
  UpstreamConnection* upstream_;
  spdlog::logger& log_;
  Socket client_;
  Direction up_;    // client -> upstream
  Direction down_;  // upstream -> client
  std::uint64_t bytes_up_ = 0;
  std::uint64_t bytes_down_ = 0;
  bool closed_ = false;
};

}  // namespace surge::detail
