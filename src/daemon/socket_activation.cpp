#include "daemon/socket_activation.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "daemon/environment.hpp"

namespace surge::detail {
namespace {

// One name per descriptor; systemd says "unknown" when the unit gave none.
std::optional<std::vector<std::string>> split_names(const std::optional<std::string>& names,
                                                    int count, std::string& error) {
  if (!names || names->empty()) return std::vector<std::string>(count, "unknown");
  std::vector<std::string> result;
  std::string_view rest = *names;
  for (;;) {
    auto colon = rest.find(':');
    result.emplace_back(rest.substr(0, colon));
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  if (result.size() != static_cast<std::size_t>(count)) {
    error = "LISTEN_FDNAMES has " + std::to_string(result.size()) + " names for " +
            std::to_string(count) + " descriptors";
    return std::nullopt;
  }
  return result;
}

std::string format_address(const sockaddr_storage& storage, socklen_t length) {
  char text[INET6_ADDRSTRLEN] = {};
  if (storage.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(storage);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof(text));
    return std::string(text) + ":" + std::to_string(ntohs(in.sin_port));
  }
  if (storage.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(storage);
    inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text));
    return "[" + std::string(text) + "]:" + std::to_string(ntohs(in6.sin6_port));
  }
  const auto& un = reinterpret_cast<const sockaddr_un&>(storage);
  auto path_length = length > offsetof(sockaddr_un, sun_path)
                         ? static_cast<std::size_t>(length) - offsetof(sockaddr_un, sun_path)
                         : 0;
  if (path_length == 0) return "";  // unnamed
  if (un.sun_path[0] == '\0') return "@" + std::string(un.sun_path + 1, path_length - 1);
  return std::string(un.sun_path, strnlen(un.sun_path, path_length));
}

// Checks that fd is what a .socket unit's ListenStream= hands over and describes it.
std::optional<InheritedSocket> describe(int fd, std::string name, std::string& error) {
  std::string what = "inherited fd " + std::to_string(fd) + " (\"" + name + "\")";
  int type = 0;
  socklen_t length = sizeof(type);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0) {
    error = what + (errno == ENOTSOCK ? " is not a socket" : ": " + std::string(strerror(errno)));
    return std::nullopt;
  }
  if (type != SOCK_STREAM) {
    error = what + " is not a stream socket (use ListenStream=)";
    return std::nullopt;
  }
  int listening = 0;
  length = sizeof(listening);
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || listening == 0) {
    error = what + " is not listening (the .socket unit must not set Accept=yes)";
    return std::nullopt;
  }
  sockaddr_storage storage{};
  length = sizeof(storage);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    error = what + ": getsockname: " + strerror(errno);
    return std::nullopt;
  }
  int family = storage.ss_family;
  if (family != AF_INET && family != AF_INET6 && family != AF_UNIX) {
    error = what + " has unsupported address family " + std::to_string(family);
    return std::nullopt;
  }
  return InheritedSocket{fd, std::move(name), family, format_address(storage, length)};
}

}  // namespace

ActivationEnvironment take_activation_environment() {
  ActivationEnvironment environment{read_variable("LISTEN_PID"), read_variable("LISTEN_FDS"),
                                    read_variable("LISTEN_FDNAMES")};
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  return environment;
}

std::optional<std::vector<InheritedSocket>> inherited_sockets(
    const ActivationEnvironment& environment, std::string& error) {
  std::vector<InheritedSocket> sockets;
  if (!environment.listen_pid || !environment.listen_fds) return sockets;
  auto pid = parse_decimal<int>(*environment.listen_pid);
  if (!pid || *pid <= 0) {
    error = "LISTEN_PID \"" + *environment.listen_pid + "\" is not a process id";
    return std::nullopt;
  }
  // Meant for another process: inherited through a parent that did not unset them. Not ours.
  if (*pid != getpid()) return sockets;
  auto count = parse_decimal<int>(*environment.listen_fds);
  if (!count || *count < 0 || *count > INT_MAX - kListenFdsStart) {
    error = "LISTEN_FDS \"" + *environment.listen_fds + "\" is not a descriptor count";
    return std::nullopt;
  }
  auto names = split_names(environment.listen_fdnames, *count, error);
  if (!names) return std::nullopt;
  // Close-on-exec first, for every descriptor, so none leaks into a child even if one is bad.
  bool all_open = true;
  for (int fd = kListenFdsStart; fd < kListenFdsStart + *count; ++fd) {
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) {
      if (all_open) error = "inherited fd " + std::to_string(fd) + ": " + strerror(errno);
      all_open = false;
    }
  }
  if (!all_open) return std::nullopt;
  for (int i = 0; i < *count; ++i) {
    auto socket = describe(kListenFdsStart + i, std::move((*names)[i]), error);
    if (!socket) return std::nullopt;
    sockets.push_back(std::move(*socket));
  }
  return sockets;
}

std::optional<std::vector<InheritedSocket>> inherited_sockets_from_environment(std::string& error) {
  return inherited_sockets(take_activation_environment(), error);
}

}  // namespace surge::detail
