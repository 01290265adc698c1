#include "daemon/systemd_notify.hpp"

#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>
#include <utility>

#include "daemon/environment.hpp"

namespace surge::detail {
namespace {

// sd_watchdog_enabled(3)'s rules: a value of 0 or "infinity" (UINT64_MAX) means no watchdog, and a
// $WATCHDOG_PID that is present but unparsable disables it too rather than guessing.
std::chrono::microseconds parse_watchdog(const SystemdNotifier::Environment& environment) {
  if (!environment.watchdog_usec) return std::chrono::microseconds{0};
  auto usec = parse_decimal<std::uint64_t>(*environment.watchdog_usec);
  constexpr auto kLargest = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (!usec || *usec == 0 || *usec > kLargest) return std::chrono::microseconds{0};
  if (environment.watchdog_pid) {
    auto pid = parse_decimal<pid_t>(*environment.watchdog_pid);
    if (!pid || *pid <= 0 || *pid != getpid()) return std::chrono::microseconds{0};
  }
  return std::chrono::microseconds{static_cast<std::int64_t>(*usec)};
}

}  // namespace

SystemdNotifier::SystemdNotifier(const Environment& environment) {
  // An empty $NOTIFY_SOCKET means "no manager", as in libsystemd.
  if (!environment.notify_socket || environment.notify_socket->empty()) return;
  const std::string& name = *environment.notify_socket;
  std::size_t path_bytes = 0;
  if (name.front() == '@') {
    // Abstract namespace: a leading NUL, no terminator; the length says where the name ends.
    path_bytes = name.size();
  } else if (name.front() == '/') {
    path_bytes = name.size() + 1;
  } else {
    // vsock: addresses (newer systemd, inside VMs) and relative paths are not supported here.
    problem_ = "NOTIFY_SOCKET \"" + name + "\" is neither an absolute path nor an abstract name";
    return;
  }
  if (path_bytes > sizeof(address_.sun_path)) {
    problem_ = "NOTIFY_SOCKET \"" + name + "\" is too long for a unix socket address";
    return;
  }
  address_.sun_family = AF_UNIX;
  std::memcpy(address_.sun_path, name.data(), name.size());
  if (name.front() == '@') address_.sun_path[0] = '\0';
  address_length_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path_bytes);

  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    problem_ = std::string("cannot open the notify socket: ") + std::strerror(errno);
    return;
  }
  watchdog_interval_ = parse_watchdog(environment);
}

SystemdNotifier::~SystemdNotifier() { close_socket(); }

SystemdNotifier::SystemdNotifier(SystemdNotifier&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      address_(other.address_),
      address_length_(other.address_length_),
      watchdog_interval_(std::exchange(other.watchdog_interval_, std::chrono::microseconds{0})),
      problem_(std::move(other.problem_)) {}

SystemdNotifier& SystemdNotifier::operator=(SystemdNotifier&& other) noexcept {
  if (this != &other) {
    close_socket();
    fd_ = std::exchange(other.fd_, -1);
    address_ = other.address_;
    address_length_ = other.address_length_;
    watchdog_interval_ = std::exchange(other.watchdog_interval_, std::chrono::microseconds{0});
    problem_ = std::move(other.problem_);
  }
  return *this;
}

SystemdNotifier SystemdNotifier::from_environment(EnvironmentPolicy policy) {
  Environment environment{read_variable("NOTIFY_SOCKET"), read_variable("WATCHDOG_USEC"),
                          read_variable("WATCHDOG_PID")};
  if (policy == EnvironmentPolicy::kUnset) {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
  }
  return SystemdNotifier(environment);
}

bool SystemdNotifier::ready() const { return send("READY=1"); }

bool SystemdNotifier::reloading() const {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  auto usec = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000u +
              static_cast<std::uint64_t>(now.tv_nsec) / 1'000u;
  return send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

bool SystemdNotifier::stopping() const { return send("STOPPING=1"); }

bool SystemdNotifier::status(std::string_view text) const {
  constexpr std::string_view kPrefix = "STATUS=";
  std::size_t keep = std::min(text.size(), kMaxMessageBytes - kPrefix.size());
  // Cut on a character boundary: the manager ignores a STATUS= that is not valid UTF-8.
  while (keep > 0 && keep < text.size() &&
         (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) {
    --keep;
  }
  std::string message(kPrefix);
  message.append(text.substr(0, keep));
  for (std::size_t i = kPrefix.size(); i < message.size(); ++i) {
    if (message[i] == '\n' || message[i] == '\0') message[i] = ' ';
  }
  return send(message);
}

bool SystemdNotifier::watchdog() const { return send("WATCHDOG=1"); }

bool SystemdNotifier::send(std::string_view state) const {
  if (fd_ < 0 || state.empty() || state.size() > kMaxMessageBytes) return false;
  // The manager drops datagrams with embedded NULs; refuse them here so the caller knows.
  if (state.find('\0') != std::string_view::npos) return false;
  // MSG_DONTWAIT: callers are event loops; a manager that stopped reading must not stall them.
  // MSG_NOSIGNAL: no SIGPIPE if the manager's socket went away.
  for (;;) {
    ssize_t sent = ::sendto(fd_, state.data(), state.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                            reinterpret_cast<const sockaddr*>(&address_), address_length_);
    if (sent >= 0) return static_cast<std::size_t>(sent) == state.size();
    if (errno != EINTR) return false;
  }
}

void SystemdNotifier::close_socket() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace surge::detail
