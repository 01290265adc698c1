#include "net/socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace surge::detail {
namespace {

boost::system::error_code errno_code(int error) { return {error, boost::system::system_category()}; }

IoResult failed(int error) {
  if (error == EAGAIN || error == EWOULDBLOCK) return {IoStatus::kWouldBlock};
  return {IoStatus::kError, 0, error};
}

}  // namespace

boost::system::error_code Socket::open(int fd, EventPoller& poller, PollTarget& owner) {
  close();
  fd_ = fd;
  poller_ = &poller;
  owner_ = &owner;
  if (boost::system::error_code ec = poller.add(fd, owner)) {
    ::close(fd_);
    fd_ = -1;
    return ec;
  }
  return {};
}

boost::system::error_code Socket::adopt(int fd, EventPoller& poller, PollTarget& owner) {
  close();
  fd_ = fd;
  poller_ = &poller;
  owner_ = &owner;
  if (boost::system::error_code ec = poller.retarget(fd, owner)) {
    ::close(fd_);
    fd_ = -1;
    return ec;
  }
  readable_ = true;
  output_watched_ = true;
  return {};
}

int Socket::release() {
  const int fd = fd_;
  fd_ = -1;
  readable_ = end_pending_ = output_watched_ = nodelay_ = false;
  return fd;
}

boost::system::error_code Socket::connect(const sockaddr* address, socklen_t length,
                                          EventPoller& poller, PollTarget& owner) {
  close();
  const int fd = ::socket(address->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_code(errno);
  if (::connect(fd, address, length) != 0 && errno != EINPROGRESS) {
    const int error = errno;
    ::close(fd);
    return errno_code(error);
  }
  if (boost::system::error_code ec = open(fd, poller, owner)) return ec;
  // The connect's end is announced by the first output edge.
  return watch_output();
}

boost::system::error_code Socket::finish_connect() {
  int error = 0;
  socklen_t length = sizeof(error);
  if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  return error == 0 ? boost::system::error_code{} : errno_code(error);
}

void Socket::note(std::uint32_t events) {
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) readable_ = true;
  if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) end_pending_ = true;
}

IoResult Socket::receive(char* data, std::size_t room) {
  for (;;) {
    if (!readable_) return {IoStatus::kWouldBlock};
    const ssize_t n = ::recv(fd_, data, room, 0);
    if (n > 0) {
      // A read that did not fill the room drained the socket: wait for the next edge. Unless a
      // FIN waits behind the data: no edge would announce it, so read on.
      if (static_cast<std::size_t>(n) < room && !end_pending_) readable_ = false;
      return {IoStatus::kDone, static_cast<std::size_t>(n)};
    }
    if (n == 0) return {IoStatus::kEnd};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) readable_ = false;
    return failed(errno);
  }
}

bool Socket::peer_closed() const {
  char byte;
  const ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return false;
  return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

IoResult Socket::send(const char* data, std::size_t size) {
  for (;;) {
    const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return {IoStatus::kDone, static_cast<std::size_t>(n)};
    if (errno != EINTR) return failed(errno);
  }
}

IoResult Socket::writev(const iovec* parts, int count) {
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(parts);
  message.msg_iovlen = static_cast<std::size_t>(count);
  for (;;) {
    const ssize_t n = ::sendmsg(fd_, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return {IoStatus::kDone, static_cast<std::size_t>(n)};
    if (errno != EINTR) return failed(errno);
  }
}

IoResult Socket::send_file(int file, std::uint64_t& offset, std::uint64_t length) {
  for (;;) {
    auto position = static_cast<off_t>(offset);
    const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(length, 1 << 30));
    const ssize_t n = ::sendfile(fd_, file, &position, chunk);
    if (n > 0) {
      offset += static_cast<std::uint64_t>(n);
      return {IoStatus::kDone, static_cast<std::size_t>(n)};
    }
    if (n == 0) return {IoStatus::kEnd};  // the file is shorter than announced
    if (errno != EINTR) return failed(errno);
  }
}

boost::system::error_code Socket::watch_output() {
  if (output_watched_) return {};
  output_watched_ = true;
  return poller_->watch_output(fd_, *owner_);
}

void Socket::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

void Socket::set_nodelay() {
  if (nodelay_) return;
  nodelay_ = true;
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void Socket::close() {
  if (fd_ < 0) return;
  ::close(fd_);  // also leaves the epoll set: the descriptor is the socket's only one
  fd_ = -1;
  readable_ = end_pending_ = output_watched_ = nodelay_ = false;
}

void Socket::reset() {
  if (fd_ < 0) return;
  linger abort{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
  close();
}

}  // namespace surge::detail
