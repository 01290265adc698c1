#pragma once
// AcceptedSocket: the TCP socket of one accepted connection, adopted from accept4(2).

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <unistd.h>

#if defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT) || defined(BOOST_ASIO_HAS_IOCP)
#error "AcceptedSocket relies on the reactive (epoll) socket service"
#endif

namespace surge::detail {

/// A descriptor from accept4(SOCK_NONBLOCK | SOCK_CLOEXEC) is already non-blocking and is the
/// only descriptor of its socket. Telling Asio so saves two syscalls per connection, which is a
/// fifth of what a one-request connection costs: the FIONBIO ioctl Asio issues before the first
/// operation on a socket it did not make non-blocking itself, and the EPOLL_CTL_DEL it issues on
/// close for a descriptor that may be a dup (close(2) of the only descriptor leaves the epoll set
/// by itself). Both facts are flags of Asio's reactive socket state, set here after assign().
class AcceptedSocket final
    : public boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type> {
 public:
  using basic_stream_socket::basic_stream_socket;

  /// Takes ownership of `fd` (closes it on failure too).
  void adopt(const boost::asio::ip::tcp& protocol, int fd, boost::system::error_code& ec) {
    assign(protocol, fd, ec);
    if (ec) {
      ::close(fd);
      return;
    }
    namespace ops = boost::asio::detail::socket_ops;
    auto& state = impl_.get_implementation().state_;
    state = static_cast<ops::state_type>((state | ops::internal_non_blocking) & ~ops::possible_dup);
  }
};

}  // namespace surge::detail
