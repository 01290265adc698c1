#include "support/scripted_upstream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace surge::test {
namespace {

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// Reads more into buffer; false at EOF, an error, or when stop says so.
bool fill(int fd, std::string& buffer, int stop_fd) {
  pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, 200) < 0) return false;
    if (fds[1].revents != 0) return false;
    if (fds[0].revents == 0) continue;
    char data[65536];
    const ssize_t n = ::recv(fd, data, sizeof(data), 0);
    if (n <= 0) return false;
    buffer.append(data, static_cast<std::size_t>(n));
    return true;
  }
}

}  // namespace

std::string UpstreamRequest::header(std::string_view name) const {
  std::size_t at = head.find("\r\n");
  while (at != std::string::npos && at + 2 < head.size()) {
    const std::size_t end = head.find("\r\n", at + 2);
    const std::string_view line(head.data() + at + 2, (end == std::string::npos ? head.size() : end) - at - 2);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && iequal(line.substr(0, colon), name)) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      return std::string(value);
    }
    at = end;
  }
  return {};
}

bool UpstreamRequest::has_header(std::string_view name) const {
  const std::string needle = "\r\n" + std::string(name) + ":";
  for (std::size_t at = 0; (at = head.find("\r\n", at)) != std::string::npos; at += 2) {
    if (head.size() >= at + needle.size() && iequal(std::string_view(head).substr(at, needle.size()), needle)) return true;
  }
  return false;
}

UpstreamReply ok(std::string_view body, std::string_view extra_headers) {
  return {"HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + std::string(extra_headers) +
          "\r\n" + std::string(body)};
}

ScriptedUpstream::ScriptedUpstream(Script script) : script_(std::move(script)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listen_fd_, 128) != 0 || ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      ::pipe(stop_pipe_) != 0) {
    throw std::runtime_error("scripted upstream: cannot listen");
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

ScriptedUpstream::~ScriptedUpstream() {
  stopping_ = true;
  ::write(stop_pipe_[1], "x", 1);
  acceptor_.join();
  for (std::thread& t : connections_) t.join();
  ::close(listen_fd_);
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
}

std::vector<UpstreamRequest> ScriptedUpstream::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

bool ScriptedUpstream::wait_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mutex_);
      if (requests_.size() >= n) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

void ScriptedUpstream::accept_loop() {
  pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
  while (!stopping_) {
    if (::poll(fds, 2, 200) <= 0 || fds[1].revents != 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const int connection = accepted_++;
    connections_.emplace_back([this, fd, connection] { serve(fd, connection); });
  }
}

void ScriptedUpstream::serve(int fd, int connection) {
  std::string buffer;
  bool peer_gone = false;
  for (int index = 0;; ++index) {
    std::size_t end;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(fd, buffer, stop_pipe_[0])) {
        peer_gone = !stopping_;
        goto done;
      }
    }
    UpstreamRequest request;
    request.head = buffer.substr(0, end + 2);
    request.connection = connection;
    request.index = index;
    buffer.erase(0, end + 4);
    const std::string length = request.header("Content-Length");
    request.chunked = iequal(request.header("Transfer-Encoding"), "chunked");
    if (request.chunked) {
      for (;;) {
        std::size_t line;
        while ((line = buffer.find("\r\n")) == std::string::npos) {
          if (!fill(fd, buffer, stop_pipe_[0])) goto done;
        }
        const std::size_t size = std::stoul(buffer.substr(0, line), nullptr, 16);
        buffer.erase(0, line + 2);
        while (buffer.size() < size + 2) {
          if (!fill(fd, buffer, stop_pipe_[0])) goto done;
        }
        request.body.append(buffer, 0, size);
        buffer.erase(0, size + 2);
        if (size == 0) break;
      }
    } else if (!length.empty()) {
      const std::size_t size = std::stoul(length);
      while (buffer.size() < size) {
        if (!fill(fd, buffer, stop_pipe_[0])) goto done;
      }
      request.body = buffer.substr(0, size);
      buffer.erase(0, size);
    }
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    const UpstreamReply reply = script_(request);
    if (reply.delay.count() > 0) {
      pollfd stop{stop_pipe_[0], POLLIN, 0};
      ::poll(&stop, 1, static_cast<int>(reply.delay.count()));
    }
    for (std::size_t at = 0; at < reply.bytes.size();) {
      const ssize_t n = ::send(fd, reply.bytes.data() + at, reply.bytes.size() - at, MSG_NOSIGNAL);
      if (n <= 0) {
        peer_gone = !stopping_;
        goto done;
      }
      at += static_cast<std::size_t>(n);
    }
    if (reply.reset) {
      linger l{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
      break;
    }
    if (reply.close) break;
  }
done:
  if (peer_gone) ++closed_by_peer_;
  ::close(fd);
}

}  // namespace surge::test
