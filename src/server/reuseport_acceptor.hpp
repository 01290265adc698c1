#pragma once
// ReuseportAcceptor: one worker's listening socket for one address (SO_REUSEPORT).

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/event_poller.hpp"

namespace surge::detail {

class Http1Session;
class Worker;

/// Every worker binds its own socket to the same address with SO_REUSEPORT; the kernel spreads
/// incoming connections across them, and a connection stays on the worker that accepted it. The
/// worker's EventPoller watches the socket (edge-triggered, registered once); after each edge it
/// accepts with accept4(2) until the queue is empty, kAcceptBatch at a time (no wake-up, no
/// FIONBIO ioctl and no epoll_ctl per connection).
/// Running out of file descriptors pauses accepting briefly instead of spinning.
class ReuseportAcceptor final : public PollTarget {
 public:
  /// SO_REUSEPORT would let this process join a port another process (an older surged, anything
  /// else run by the same user) already listens on, and the kernel would split connections
  /// between them. Binding once without it first turns that into the usual "address in use".
  /// Throws std::system_error naming the address. Port 0 needs no check.
  static void check_not_in_use(const boost::asio::ip::tcp::endpoint& endpoint);

  using Acceptor = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp,
                                                      boost::asio::io_context::executor_type>;

  /// Opens, binds and listens (main thread, before the worker runs). Throws std::system_error
  /// whose message names the address.
  ReuseportAcceptor(Worker& worker, const boost::asio::ip::tcp::endpoint& endpoint, int backlog);
  /// Adopts a listening socket inherited from a service manager: accepts on a dup of `fd` (the
  /// workers share the socket's queue; `fd` itself stays open). Throws std::system_error.
  ReuseportAcceptor(Worker& worker, int inherited_fd);
  ~ReuseportAcceptor();
  ReuseportAcceptor(const ReuseportAcceptor&) = delete;
  ReuseportAcceptor& operator=(const ReuseportAcceptor&) = delete;

  /// The address it is bound to (port 0 resolved), even after stop().
  const boost::asio::ip::tcp::endpoint& local_endpoint() const { return endpoint_; }
  /// Worker thread: begins accepting.
  void start();
  /// Worker thread: closes the socket (new connections are refused by the kernel, or go to the
  /// other workers' sockets while they still listen).
  void stop();

  /// The poller: connections are waiting (or the acceptor's turn came again).
  void on_events(std::uint32_t events) override;

 private:
  void accept_batch();
  void close_listener();
  void serve(Http1Session* connection);
  bool handle_error(const boost::system::error_code& ec);

  Worker& worker_;
  Acceptor acceptor_;  // opens, binds and listens; released to fd_ at start()
  int fd_ = -1;
  boost::asio::ip::tcp::endpoint endpoint_;
  boost::asio::steady_timer pause_;
  boost::asio::ip::tcp::endpoint peer_;
  bool stopped_ = false;
  bool paused_ = false;  // out of descriptors: edges are ignored until the pause ends
};

}  // namespace surge::detail
