#pragma once
// Socket activation: the listening sockets systemd passes in with LISTEN_FDS (sd_listen_fds(3)).

#include <optional>
#include <string>
#include <vector>

namespace surge::detail {

/// The first inherited descriptor; the others follow without gaps (SD_LISTEN_FDS_START).
inline constexpr int kListenFdsStart = 3;

/// One listening socket received from the service manager. The caller owns fd: it hands it to an
/// acceptor or closes it. fd has FD_CLOEXEC set.
struct InheritedSocket {
  int fd = -1;
  /// From LISTEN_FDNAMES (FileDescriptorName= in the .socket unit); "unknown" when systemd gave
  /// no names, as sd_listen_fds_with_names(3) reports.
  std::string name;
  /// AF_INET, AF_INET6 or AF_UNIX.
  int family = 0;
  /// "127.0.0.1:8080", "[::]:8080" (the listen setting's format), "/run/surge.sock" or "@name".
  std::string local_address;
};

/// The variables systemd sets, as read from the environment; nullopt means unset. Tests build one
/// by hand instead of touching the process environment.
struct ActivationEnvironment {
  std::optional<std::string> listen_pid;      // $LISTEN_PID: the PID the sockets are meant for
  std::optional<std::string> listen_fds;      // $LISTEN_FDS: how many, starting at fd 3
  std::optional<std::string> listen_fdnames;  // $LISTEN_FDNAMES: colon-separated names
};

/// Reads $LISTEN_PID, $LISTEN_FDS and $LISTEN_FDNAMES and unsets them, as sd_listen_fds(1) does,
/// so nothing surged starts later takes the sockets for its own. unsetenv(3) races with getenv(3):
/// call this on the main thread before other threads start.
ActivationEnvironment take_activation_environment();

/// The sockets described by environment. Not socket-activated (variables unset, or LISTEN_PID names
/// another process, e.g. they leaked from a parent) gives an empty list. Otherwise every descriptor
/// 3..3+LISTEN_FDS-1 gets FD_CLOEXEC and must be a listening stream socket: a datagram socket, an
/// Accept=yes connection or a non-socket means a misconfigured unit, and surged should refuse to
/// start rather than silently not serve one of its addresses. On failure returns nullopt and says
/// why in error. Start-up only; reads no environment itself.
std::optional<std::vector<InheritedSocket>> inherited_sockets(
    const ActivationEnvironment& environment, std::string& error);

/// inherited_sockets(take_activation_environment(), error).
std::optional<std::vector<InheritedSocket>> inherited_sockets_from_environment(std::string& error);

}  // namespace surge::detail
