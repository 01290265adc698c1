#include "upstream/upstream_connection.hpp"

#include <sys/epoll.h>

#include "upstream/upstream_pools.hpp"

namespace surge::detail {

void UpstreamConnection::on_events(std::uint32_t events) {
  // Closed in this round of the poller, which may still name it (an event collected before the
  // close, a post): its memory waits for the round's end, and it does nothing more.
  if (!socket_.is_open()) return;
  socket_.note(events);
  if (user_ != nullptr) {
    user_->on_upstream_events(events);
    return;
  }
  // Idle in the pool. An edge for bytes the last response's reads already took (edge-triggered
  // epoll reports data that arrived during the round that read it), or a post for the request it
  // served: one read says EAGAIN, and it stays (nginx's keepalive close handler does the same).
  // Otherwise the upstream closed it or sent bytes no request asked for: it must never carry a
  // request again.
  if ((events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) == 0) {
    char byte;
    if (socket_.receive(&byte, 1).status == IoStatus::kWouldBlock) return;
  }
  pool_.stats().discarded_idle.add();
  pool_.close(*this);
}

void UpstreamConnection::on_deadline() {
  if (!socket_.is_open()) return;
  if (user_ != nullptr) {
    user_->on_upstream_deadline();
    return;
  }
  pool_.close(*this);  // idle past the pool's idle timeout
}

}  // namespace surge::detail
