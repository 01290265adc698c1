#pragma once
// SystemdNotifier: the sd_notify(3) protocol spoken directly over $NOTIFY_SOCKET (no libsystemd).

#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace surge::detail {

/// Tells the service manager what surged is doing: READY=1 once every acceptor listens,
/// RELOADING=1 ... READY=1 around a SIGHUP reload, STOPPING=1 at shutdown, STATUS= lines for
/// `systemctl status`, WATCHDOG=1 pings while every worker is alive.
///
/// Each message is one datagram on an AF_UNIX SOCK_DGRAM socket opened at construction
/// (SOCK_CLOEXEC, so exec'd children never inherit it). The socket is not connected: every send
/// names $NOTIFY_SOCKET, so a systemd that re-executed itself is still reached. Sends never block
/// (a full receive queue on the manager's side makes the send fail) and never throw; they return
/// whether the datagram was handed to the kernel. The manager learns the sender's PID from the
/// kernel, so with NotifyAccess=main any thread of the main process may send.
///
/// Without $NOTIFY_SOCKET (not started by systemd, or Type=simple) the notifier is disabled: every
/// send returns false and does nothing, which callers need not treat as an error.
///
/// Thread-safety: the send functions are const and may be called concurrently from any thread.
class SystemdNotifier final {
 public:
  /// The variables systemd sets, as read from the environment; nullopt means unset. Tests build
  /// one by hand instead of touching the process environment.
  struct Environment {
    std::optional<std::string> notify_socket;  // $NOTIFY_SOCKET: "/run/systemd/notify" or "@name"
    std::optional<std::string> watchdog_usec;  // $WATCHDOG_USEC: decimal microseconds, > 0
    std::optional<std::string> watchdog_pid;   // $WATCHDOG_PID: the PID the watchdog is meant for
  };

  /// Whether from_environment() removes the variables from the process environment.
  enum class EnvironmentPolicy { kKeep, kUnset };

  /// Largest datagram the manager accepts (systemd's NOTIFY_BUFFER_MAX); longer ones are dropped.
  static constexpr std::size_t kMaxMessageBytes = 4096;

  /// A disabled notifier.
  SystemdNotifier() = default;
  /// Uses the given values; the process environment is not read. Opens the socket when
  /// notify_socket names a usable address, otherwise stays disabled and says why in problem().
  explicit SystemdNotifier(const Environment& environment);
  ~SystemdNotifier();
  /// Moves the socket; the moved-from notifier is disabled.
  SystemdNotifier(SystemdNotifier&& other) noexcept;
  SystemdNotifier& operator=(SystemdNotifier&& other) noexcept;
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  /// Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID. The default keeps them: surged execs
  /// no helper that could misuse them, and an in-place re-exec (same PID, e.g. a binary upgrade)
  /// needs them to send READY=1 again. Choose kUnset if surged ever spawns children that should not
  /// talk to the manager on its behalf. Unsetting is only safe before other threads start
  /// (unsetenv(3) races with getenv(3)); call this on the main thread at start-up.
  static SystemdNotifier from_environment(EnvironmentPolicy policy = EnvironmentPolicy::kKeep);

  /// True when $NOTIFY_SOCKET was set, usable, and the socket is open.
  bool enabled() const { return fd_ >= 0; }
  /// Why the notifier is disabled although $NOTIFY_SOCKET was set (unsupported address, name too
  /// long, socket(2) failed); empty otherwise. Worth one log line at start-up.
  const std::string& problem() const { return problem_; }

  /// READY=1: start-up finished (every acceptor listens), or a reload finished.
  bool ready() const;
  /// RELOADING=1 with MONOTONIC_USEC=<CLOCK_MONOTONIC in µs>, which systemd >= 253 requires for
  /// Type=notify-reload and older versions ignore. Follow with ready() when the reload is done.
  bool reloading() const;
  /// STOPPING=1: shutdown has begun.
  bool stopping() const;
  /// STATUS=<text>, shown by `systemctl status`. Newlines and NULs in text become spaces (a newline
  /// would start another assignment); text is cut to fit one datagram.
  bool status(std::string_view text) const;
  /// WATCHDOG=1. Send it at half of watchdog_interval(), and only while every worker is alive.
  bool watchdog() const;
  /// Sends state as is: one or more newline-separated VARIABLE=value assignments. Returns false
  /// without sending when state is empty, contains a NUL or exceeds kMaxMessageBytes.
  bool send(std::string_view state) const;

  /// The watchdog timeout from $WATCHDOG_USEC when it is meant for this process ($WATCHDOG_PID
  /// unset or equal to getpid()) and the notifier is enabled; zero otherwise (watchdog off, value
  /// unparsable or zero, or meant for another process). Ping at half of it.
  std::chrono::microseconds watchdog_interval() const { return watchdog_interval_; }

 private:
  void close_socket() noexcept;

  int fd_ = -1;
  sockaddr_un address_{};
  socklen_t address_length_ = 0;
  std::chrono::microseconds watchdog_interval_{0};
  std::string problem_;
};

}  // namespace surge::detail
