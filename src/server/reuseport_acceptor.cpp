#include "server/reuseport_acceptor.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/socket_base.hpp>
#include <spdlog/logger.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <system_error>

#include "server/http1_session.hpp"
#include "server/worker.hpp"

namespace surge::detail {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// How long accepting pauses when the process runs out of file descriptors.
constexpr auto kDescriptorPause = std::chrono::milliseconds(100);
// Connections accepted per readiness notification before other work gets a turn.
constexpr int kAcceptBatch = 64;

std::string describe(const asio::ip::tcp::endpoint& endpoint) {
  std::string host = endpoint.address().to_string();
  if (endpoint.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port());
}

}  // namespace

void ReuseportAcceptor::check_not_in_use(const asio::ip::tcp::endpoint& endpoint) {
  if (endpoint.port() == 0) return;
  asio::io_context io(1);
  asio::ip::tcp::acceptor probe(io);
  error_code ec;
  probe.open(endpoint.protocol(), ec);
  if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);  // TIME_WAIT is fine
  if (!ec && endpoint.address().is_v6()) probe.set_option(asio::ip::v6_only(true), ec);
  if (!ec) probe.bind(endpoint, ec);
  if (ec) throw std::system_error(ec, "cannot listen on " + describe(endpoint));
}

ReuseportAcceptor::ReuseportAcceptor(Worker& worker, const asio::ip::tcp::endpoint& endpoint,
                                     int backlog)
    : worker_(worker), acceptor_(worker.io().get_executor()), pause_(worker.io()) {
  auto fail = [&](const error_code& ec, const char* what) {
    throw std::system_error(ec, std::string("cannot ") + what + " " + describe(endpoint));
  };
  error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) fail(ec, "open a socket for");
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  int one = 1;
  if (::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
    fail(error_code(errno, boost::system::system_category()), "set SO_REUSEPORT on");
  }
  // "[::]:8080" means IPv6 only, so "0.0.0.0:8080" can be listed beside it.
  if (endpoint.address().is_v6()) acceptor_.set_option(asio::ip::v6_only(true), ec);
  acceptor_.bind(endpoint, ec);
  if (ec) fail(ec, "listen on");
  acceptor_.listen(backlog, ec);
  if (ec) fail(ec, "listen on");
  acceptor_.non_blocking(true, ec);  // the batch after a notification accepts until EAGAIN
  if (ec) fail(ec, "configure");
  endpoint_ = acceptor_.local_endpoint(ec);
  if (ec) fail(ec, "read the address of");
}

ReuseportAcceptor::ReuseportAcceptor(Worker& worker, int inherited_fd)
    : worker_(worker), acceptor_(worker.io().get_executor()), pause_(worker.io()) {
  int fd = ::fcntl(inherited_fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot use inherited socket " + std::to_string(inherited_fd));
  }
  sockaddr_storage address{};
  socklen_t size = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  const auto protocol = address.ss_family == AF_INET6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4();
  error_code ec;
  acceptor_.assign(protocol, fd, ec);
  if (!ec) acceptor_.non_blocking(true, ec);
  if (!ec) endpoint_ = acceptor_.local_endpoint(ec);
  if (ec) {
    ::close(fd);
    throw std::system_error(ec, "cannot use inherited socket " + std::to_string(inherited_fd));
  }
}

ReuseportAcceptor::~ReuseportAcceptor() { close_listener(); }

void ReuseportAcceptor::start() {
  if (stopped_ || fd_ >= 0) return;
  // From here the worker's poller watches the socket; Asio lets go of it (no registration left
  // in its reactor to wake it for nothing at each connection).
  error_code ec;
  fd_ = acceptor_.release(ec);
  if (!ec) ec = worker_.poller().add(fd_, *this);
  if (ec) {
    worker_.log().error("cannot watch {} for connections: {}", describe(endpoint_), ec.message());
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    stopped_ = true;
  }
  // Connections already queued were reported by the registration: they come as an event.
}

void ReuseportAcceptor::stop() {
  stopped_ = true;
  close_listener();
  pause_.cancel();
}

void ReuseportAcceptor::close_listener() {
  if (fd_ < 0) {
    error_code ignored;
    acceptor_.close(ignored);  // never started
    return;
  }
  // An inherited socket is shared with other descriptors, which would keep it in the epoll set
  // after close(2): remove it first.
  worker_.poller().remove(fd_);
  ::close(fd_);
  fd_ = -1;
  worker_.poller().forget(*this);
}

void ReuseportAcceptor::on_events(std::uint32_t) {
  if (!stopped_ && !paused_) accept_batch();
}

// Readiness from the poller rather than Asio's async_accept: that would be a speculative accept(2)
// failing with EAGAIN each time the queue was just emptied, a socket without SOCK_NONBLOCK that
// needs an ioctl later, and an epoll_ctl to re-arm after each batch.
void ReuseportAcceptor::accept_batch() {
  for (int i = 0; i < kAcceptBatch; ++i) {
    if (stopped_) return;
    socklen_t size = static_cast<socklen_t>(peer_.capacity());
    const int fd = ::accept4(fd_, peer_.data(), &size, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // drained: the next edge says when
      if (errno == EINTR) continue;
      if (!handle_error(error_code(errno, boost::system::system_category()))) return;
      continue;
    }
    peer_.resize(size);
    Http1Session* connection = worker_.new_session();
    error_code adopt_ec;
    connection->adopt(fd, adopt_ec);
    if (adopt_ec) {
      worker_.destroy(connection);
      if (!handle_error(adopt_ec)) return;
      continue;
    }
    serve(connection);
  }
  // A full batch: the queue may hold more, which no new edge would announce. Other work first.
  worker_.poller().post(*this);
}

void ReuseportAcceptor::serve(Http1Session* connection) {
  worker_.stats().accepted.add();
  if (worker_.open_connections() >= worker_.config().limits.max_connections_per_worker &&
      !worker_.reclaim_idle_connection()) {
    worker_.stats().refused.add();
    connection->refuse();
    return;
  }
  connection->start(peer_);
}

// Returns whether to go on accepting at once (false: stopped, or paused and resumed later).
bool ReuseportAcceptor::handle_error(const error_code& ec) {
  if (stopped_ || ec == asio::error::operation_aborted) return false;
  worker_.stats().accept_errors.add();
  if (ec == asio::error::no_descriptors || ec.value() == ENFILE || ec == asio::error::no_buffer_space ||
      ec == asio::error::no_memory) {
    worker_.log().error("accept: {}; pausing accepts for {} ms", ec.message(),
                        kDescriptorPause.count());
    paused_ = true;
    pause_.expires_after(kDescriptorPause);
    pause_.async_wait([this](const error_code& e) {
      paused_ = false;
      if (!e && !stopped_) accept_batch();
    });
    return false;
  }
  // Aborted handshakes and the like concern one connection only.
  worker_.log().debug("accept: {}", ec.message());
  return true;
}

}  // namespace surge::detail
