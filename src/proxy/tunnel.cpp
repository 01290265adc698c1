#include "proxy/tunnel.hpp"

#include <spdlog/spdlog.h>

namespace surge::detail {
namespace {

// The least room a read is given (the buffer is a block of the worker's slab pool).
constexpr std::size_t kReadRoom = 4096;
// Reads per direction before the other sockets of the worker get their turn.
constexpr int kReadsPerTurn = 8;

}  // namespace

Tunnel::Tunnel(ClusterPool& pool, HostPool& host, UpstreamConnection& upstream, spdlog::logger& log)
    : pool_(pool), host_(host), upstream_(&upstream), log_(log), up_(&pool.buffers()), down_(&pool.buffers()) {}

bool Tunnel::open(ClusterPool& pool, HostPool& host, UpstreamConnection& upstream, int client_fd,
                  std::string_view to_client, std::string_view to_upstream, spdlog::logger& log) {
  auto* tunnel = new Tunnel(pool, host, upstream, log);
  upstream.set_user(tunnel);
  upstream.disarm();
  upstream.input().release();  // its bytes were handed over in to_client
  pool.add_tunnel(*tunnel);
  if (boost::system::error_code ec = tunnel->client_.adopt(client_fd, pool.poller(), *tunnel)) {
    tunnel->close("the client connection could not be taken over");
    return false;
  }
  tunnel->client_.set_nodelay();
  tunnel->down_.pending.append(to_client);
  tunnel->up_.pending.append(to_upstream);
  // The relay starts from the loop, not inside the session's hand-over.
  pool.poller().post(*tunnel);
  return true;
}

void Tunnel::on_events(std::uint32_t events) {
  if (closed_) return;  // closed earlier in this round
  client_.note(events);
  pump();
}

void Tunnel::on_upstream_events(std::uint32_t /*events*/) {
  // The upstream connection noted the events on its socket already.
  if (!closed_) pump();
}

void Tunnel::on_deadline() {
  pool_.stats().tunnel_idle_timeouts.add();
  close("idle past tunnels.idle_timeout_ms");
}

void Tunnel::close_now() { close("the worker stops"); }

void Tunnel::pump() {
  bool moved = false;
  const Relay up = relay(client_, upstream_->socket(), up_, moved);
  const Relay down = up == Relay::kFailed ? Relay::kFailed : relay(upstream_->socket(), client_, down_, moved);
  if (up == Relay::kFailed || down == Relay::kFailed) {
    close("a side failed");
    return;
  }
  if (up_.ended && down_.ended && up_.pending.empty() && down_.pending.empty()) {
    close("both sides ended");
    return;
  }
  if (moved) pool_.touch_tunnel(*this);
  // A side that still has input after its turn goes on after the other sockets' events.
  if (up == Relay::kMore || down == Relay::kMore) pool_.poller().post(*this);
}

Tunnel::Relay Tunnel::relay(Socket& from, Socket& to, Direction& d, bool& moved) {
  for (int reads = 0;; ++reads) {
    while (d.sent < d.pending.size()) {
      const IoResult r = to.send(d.pending.data() + d.sent, d.pending.size() - d.sent);
      if (r.status == IoStatus::kDone) {
        d.sent += r.bytes;
        moved = true;
        continue;
      }
      if (r.status != IoStatus::kWouldBlock) return Relay::kFailed;
      // Back-pressure: nothing more is read from `from` until `to` takes this (its output edge).
      if (to.watch_output()) return Relay::kFailed;
      return Relay::kIdle;
    }
    d.pending.clear();
    d.sent = 0;
    if (d.ended) {
      d.pending.release();
      return Relay::kIdle;
    }
    if (reads == kReadsPerTurn) return from.readable() ? Relay::kMore : Relay::kIdle;
    const std::size_t room = d.pending.writable(kReadRoom);
    const IoResult r = from.receive(d.pending.data() + d.pending.size(), room);
    switch (r.status) {
      case IoStatus::kDone:
        d.pending.commit(r.bytes);
        (&d == &up_ ? bytes_up_ : bytes_down_) += r.bytes;
        moved = true;
        continue;
      case IoStatus::kWouldBlock:
        d.pending.release();  // an idle tunnel holds no buffer
        return Relay::kIdle;
      case IoStatus::kEnd:
        // The source finished: the other side reads the end after the bytes already passed on,
        // and may still answer (a WebSocket close handshake, a half-closed TCP stream).
        d.ended = true;
        d.pending.release();
        to.shutdown_write();
        return Relay::kIdle;
      case IoStatus::kError:
        return Relay::kFailed;
    }
  }
}

void Tunnel::close(std::string_view why) {
  if (closed_) return;
  closed_ = true;
  log_.debug("upstream \"{}\" {}: tunnel closed ({}), {} bytes up, {} bytes down", pool_.cluster().name(),
             pool_.cluster().hosts()[host_.index()]->address(), why, bytes_up_, bytes_down_);
  client_.close();
  pool_.poller().forget(*this);
  host_.close(*upstream_);
  upstream_ = nullptr;
  up_.pending.release();
  down_.pending.release();
  pool_.end_tunnel(*this);  // freed after the round: an event of this round may still name it
}

}  // namespace surge::detail
