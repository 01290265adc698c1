#include "support/raw_client.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "support/text.hpp"

namespace surge::test {
namespace {

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return v;
  }
  return std::nullopt;
}

bool HttpResponse::closes() const {
  auto c = header("Connection");
  return c && iequals(*c, "close");
}

RawClient::RawClient(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int e = errno;
    ::close(fd_);
    throw std::runtime_error(std::string("connect failed: ") + std::strerror(e));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

RawClient::~RawClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawClient::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void RawClient::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

bool RawClient::fill(std::chrono::steady_clock::time_point deadline) {
  if (eof_) return false;
  pollfd p{fd_, POLLIN, 0};
  int r = ::poll(&p, 1, remaining_ms(deadline));
  if (r <= 0) return false;
  char buf[65536];
  ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  pending_.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::string RawClient::read_some(std::chrono::milliseconds timeout) {
  if (pending_.empty()) fill(std::chrono::steady_clock::now() + timeout);
  return std::exchange(pending_, {});
}

std::optional<HttpResponse> RawClient::read_response(std::chrono::milliseconds timeout, bool head) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t end;
  while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(deadline)) return std::nullopt;
  }
  HttpResponse r;
  std::string_view block(pending_.data(), end);
  auto line_end = block.find("\r\n");
  std::string_view status_line = block.substr(0, line_end);
  if (status_line.size() < 12 || status_line.substr(0, 9) != "HTTP/1.1 ") return std::nullopt;
  r.status = std::stoi(std::string(status_line.substr(9, 3)));
  r.reason = std::string(status_line.substr(13 <= status_line.size() ? 13 : status_line.size()));
  std::size_t pos = line_end == std::string_view::npos ? block.size() : line_end + 2;
  while (pos < block.size()) {
    auto next = block.find("\r\n", pos);
    if (next == std::string_view::npos) next = block.size();
    std::string_view line = block.substr(pos, next - pos);
    auto colon = line.find(':');
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    pos = next + 2;
  }
  pending_.erase(0, end + 4);
  if (r.status == 100) return r;  // interim: no body
  auto length = r.header("Content-Length");
  if (head || r.status == 204 || r.status == 304) return r;
  auto coding = r.header("Transfer-Encoding");
  if (coding && *coding == "chunked") {
    // Strict: every chunk complete, then the last chunk and an empty trailer section. A body cut
    // short is no response (a client must never take it for a complete one).
    for (;;) {
      std::size_t line_end;
      while ((line_end = pending_.find("\r\n")) == std::string::npos) {
        if (!fill(deadline)) return std::nullopt;
      }
      const std::string size_line = pending_.substr(0, line_end);
      if (size_line.empty() || size_line.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        ADD_FAILURE() << "bad chunk-size line: \"" << size_line.substr(0, 64) << "\" after "
                      << r.body.size() << " body bytes in " << r.chunk_count << " chunks";
        return std::nullopt;
      }
      const std::size_t size = std::stoul(size_line, nullptr, 16);
      pending_.erase(0, line_end + 2);
      if (size == 0) {
        while (pending_.size() < 2) {
          if (!fill(deadline)) return std::nullopt;
        }
        if (pending_.compare(0, 2, "\r\n") != 0) return std::nullopt;  // trailers: not expected here
        pending_.erase(0, 2);
        r.chunks = true;
        return r;
      }
      while (pending_.size() < size + 2) {
        if (!fill(deadline)) return std::nullopt;
      }
      if (pending_.compare(size, 2, "\r\n") != 0) return std::nullopt;
      r.body.append(pending_, 0, size);
      ++r.chunk_count;
      pending_.erase(0, size + 2);
    }
  }
  if (length) {
    std::size_t n = std::stoul(*length);
    while (pending_.size() < n) {
      if (!fill(deadline)) return std::nullopt;
    }
    r.body = pending_.substr(0, n);
    pending_.erase(0, n);
  } else {
    while (fill(deadline)) {
    }
    r.body = std::exchange(pending_, {});
  }
  return r;
}

std::string RawClient::read_until_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!eof_ && fill(deadline)) {
  }
  return std::exchange(pending_, {});
}

bool RawClient::wait_closed(std::chrono::milliseconds timeout) {
  read_until_closed(timeout);
  return eof_;
}

std::optional<HttpResponse> fetch(std::uint16_t port, std::string_view request,
                                  std::chrono::milliseconds timeout) {
  RawClient client(port);
  if (!client.send(request)) return std::nullopt;
  return client.read_response(timeout);
}

std::string get(std::string_view target, std::string_view extra_headers) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) +
         "\r\n";
}

}  // namespace surge::test
