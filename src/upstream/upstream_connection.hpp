#pragma once
// UpstreamConnection: one keep-alive HTTP/1.1 connection from a worker to an upstream host.

#include <cstdint>

#include "memory/byte_buffer.hpp"
#include "memory/intrusive_list.hpp"
#include "net/deadline_list.hpp"
#include "net/socket.hpp"

namespace surge::detail {

class HostPool;

/// What a connection lent by its pool reports to the one request using it.
class UpstreamUser {
 public:
  /// The socket's events (EPOLLIN, EPOLLOUT, EPOLLRDHUP, ...); the connect's end comes as the
  /// first of them while connecting().
  virtual void on_upstream_events(std::uint32_t events) = 0;
  /// The deadline the user armed (connect, read or send) passed.
  virtual void on_upstream_deadline() = 0;

 protected:
  ~UpstreamUser() = default;
};

/// The server session's sibling over the same net::Socket: registered with the worker's poller,
/// in at most one deadline list, lent by its HostPool to one request at a time and otherwise idle
/// in the pool, where any event (the upstream closing it, stray bytes) discards it. Worker thread
/// only.
class UpstreamConnection final : public PollTarget, public DeadlineHook, public ListHook {
 public:
  explicit UpstreamConnection(HostPool& pool, SlabPool* buffers) : pool_(pool), input_(buffers) {}

  HostPool& pool() const { return pool_; }
  Socket& socket() { return socket_; }
  /// Bytes read from the upstream and not yet consumed (a response, parsed in place).
  ByteBuffer& input() { return input_; }

  bool connecting() const { return connecting_; }
  void set_connecting(bool connecting) { connecting_ = connecting; }
  /// Requests started on it so far (more than one: it was reused from the pool).
  std::uint32_t requests() const { return requests_; }
  void count_request() { ++requests_; }
  std::int64_t born() const { return born_; }  // steady-clock ticks when it was opened
  void set_born(std::int64_t ticks) { born_ = ticks; }

  /// Its current user (null while idle in the pool).
  UpstreamUser* user() const { return user_; }
  void set_user(UpstreamUser* user) { user_ = user; }

  void on_events(std::uint32_t events) override;
  void on_deadline();

 private:
  HostPool& pool_;
  Socket socket_;
  ByteBuffer input_;
  UpstreamUser* user_ = nullptr;
  std::int64_t born_ = 0;
  std::uint32_t requests_ = 0;
  bool connecting_ = false;
};

}  // namespace surge::detail
