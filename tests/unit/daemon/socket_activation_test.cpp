#include "daemon/socket_activation.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

// Descriptors the child parks things on while it rearranges 3.. (far above anything gtest opens).
constexpr int kParkingFd = 200;

// Runs body in a forked child whose descriptors 3, 4, ... are copies of fds (and the few numbers
// after them are closed), and returns what body returned. Doing it in a child keeps the test
// process's own descriptors at 3.. (gtest, sanitizers, ctest) untouched, and lets body read the
// real process environment without disturbing other tests.
std::string in_child_with_fds(const std::vector<int>& fds,
                              const std::function<std::string()>& body) {
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return "pipe failed";
  pid_t child = ::fork();
  if (child == 0) {
    int out = ::fcntl(report[1], F_DUPFD_CLOEXEC, kParkingFd);
    std::vector<int> parked;
    parked.reserve(fds.size());
    for (int fd : fds)
      parked.push_back(::fcntl(fd, F_DUPFD, kParkingFd));
    for (std::size_t i = 0; i < parked.size(); ++i) {
      ::dup2(parked[i], kListenFdsStart + static_cast<int>(i));  // dup2 clears FD_CLOEXEC
      ::close(parked[i]);
    }
    int end = kListenFdsStart + static_cast<int>(fds.size());
    for (int fd = end; fd < end + 8; ++fd)
      ::close(fd);
    std::string result = body();
    (void)!::write(out, result.data(), result.size());
    ::_exit(0);
  }
  ::close(report[1]);
  std::string result;
  char buffer[512];
  for (ssize_t n; (n = ::read(report[0], buffer, sizeof(buffer))) > 0;)
    result.append(buffer, n);
  ::close(report[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) result += "[child failed]";
  return result;
}

const char* family_name(int family) {
  switch (family) {
    case AF_INET:
      return "inet";
    case AF_INET6:
      return "inet6";
    case AF_UNIX:
      return "unix";
    default:
      return "other";
  }
}

// One line per socket, "fd name family address cloexec", or "error: ...".
std::string describe(const std::optional<std::vector<InheritedSocket>>& sockets,
                     const std::string& error) {
  if (!sockets) return "error: " + error;
  std::string text;
  for (const auto& socket : *sockets) {
    bool cloexec = (::fcntl(socket.fd, F_GETFD) & FD_CLOEXEC) != 0;
    text += std::to_string(socket.fd) + " " + socket.name + " " + family_name(socket.family) + " " +
            socket.local_address + (cloexec ? " cloexec" : " inheritable") + "\n";
  }
  return text;
}

// inherited_sockets() in the child, with LISTEN_PID naming the child.
std::string activate_in_child(const std::vector<int>& fds, std::string count,
                              std::optional<std::string> names) {
  return in_child_with_fds(fds, [&] {
    std::string error;
    auto sockets = inherited_sockets({std::to_string(::getpid()), count, names}, error);
    return describe(sockets, error);
  });
}

std::string self_pid() {
  return std::to_string(::getpid());
}

// A listening TCP socket on loopback; port receives the kernel's choice.
int tcp_listener(int family, int& port) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (family == AF_INET) {
    auto& in = reinterpret_cast<sockaddr_in&>(storage);
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    length = sizeof(in);
  } else {
    auto& in6 = reinterpret_cast<sockaddr_in6&>(storage);
    in6.sin6_family = AF_INET6;
    in6.sin6_addr = in6addr_loopback;
    length = sizeof(in6);
  }
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
      ::listen(fd, 16) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length)) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in&>(storage).sin_port
                                 : reinterpret_cast<sockaddr_in6&>(storage).sin6_port);
  return fd;
}

// A listening AF_UNIX stream socket; name is a path or "@abstract".
int unix_listener(const std::string& name) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, name.data(), name.size());
  bool abstract = name.front() == '@';
  if (abstract) address.sun_path[0] = '\0';
  auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + !abstract);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST(SocketActivation, NotActivatedWithoutVariables) {
  std::string error;
  auto none = inherited_sockets({}, error);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto pid_only = inherited_sockets({self_pid(), std::nullopt, std::nullopt}, error);
  ASSERT_TRUE(pid_only);
  EXPECT_TRUE(pid_only->empty());
  auto fds_only = inherited_sockets({std::nullopt, "1", std::nullopt}, error);
  ASSERT_TRUE(fds_only);
  EXPECT_TRUE(fds_only->empty());
  auto zero = inherited_sockets({self_pid(), "0", std::nullopt}, error);
  ASSERT_TRUE(zero);
  EXPECT_TRUE(zero->empty());
  EXPECT_TRUE(error.empty()) << error;
}

TEST(SocketActivation, VariablesMeantForAnotherProcessAreIgnored) {
  std::string error;
  auto sockets = inherited_sockets({std::to_string(::getpid() + 1), "2", "a:b"}, error);
  ASSERT_TRUE(sockets) << error;
  EXPECT_TRUE(sockets->empty());
}

TEST(SocketActivation, MalformedVariablesAreErrors) {
  struct Case {
    ActivationEnvironment environment;
    const char* message = nullptr;
  };
  const Case cases[] = {
      {{"abc", "1", std::nullopt}, "LISTEN_PID \"abc\""},
      {{"0", "1", std::nullopt}, "LISTEN_PID \"0\""},
      {{self_pid(), "one", std::nullopt}, "LISTEN_FDS \"one\""},
      {{self_pid(), "-1", std::nullopt}, "LISTEN_FDS \"-1\""},
      {{self_pid(), "2147483647", std::nullopt}, "LISTEN_FDS \"2147483647\""},
      {{self_pid(), "2", "http"}, "LISTEN_FDNAMES has 1 names for 2 descriptors"},
      {{self_pid(), "1", "http:admin"}, "LISTEN_FDNAMES has 2 names for 1 descriptors"},
  };
  for (const auto& c : cases) {
    std::string error;
    EXPECT_FALSE(inherited_sockets(c.environment, error)) << c.message;
    EXPECT_NE(error.find(c.message), std::string::npos) << error;
  }
}

TEST(SocketActivation, ReturnsListeningSocketsWithNamesAndAddresses) {
  int port = 0;
  int tcp = tcp_listener(AF_INET, port);
  ASSERT_GE(tcp, 0);
  std::string abstract = "@surge-activation-" + self_pid();
  int local = unix_listener(abstract);
  ASSERT_GE(local, 0);
  char dir[] = "/tmp/surge-activation-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/surge.sock";
  int file = unix_listener(path);
  ASSERT_GE(file, 0);

  EXPECT_EQ(activate_in_child({tcp, local, file}, "3", "http:admin:local"),
            "3 http inet 127.0.0.1:" + std::to_string(port) + " cloexec\n" +  //
                "4 admin unix " + abstract + " cloexec\n" +                   //
                "5 local unix " + path + " cloexec\n");
  ::close(tcp);
  ::close(local);
  ::close(file);
  std::filesystem::remove_all(dir);
}

TEST(SocketActivation, ReturnsIPv6Listener) {
  int port = 0;
  int tcp6 = tcp_listener(AF_INET6, port);
  if (tcp6 < 0) GTEST_SKIP() << "no IPv6 loopback here";
  EXPECT_EQ(activate_in_child({tcp6}, "1", "http6"),
            "3 http6 inet6 [::1]:" + std::to_string(port) + " cloexec\n");
  ::close(tcp6);
}

TEST(SocketActivation, NamesDefaultToUnknown) {
  int port = 0;
  int first = tcp_listener(AF_INET, port);
  int second_port = 0;
  int second = tcp_listener(AF_INET, second_port);
  ASSERT_GE(first, 0);
  ASSERT_GE(second, 0);
  std::string expected = "3 unknown inet 127.0.0.1:" + std::to_string(port) + " cloexec\n" +
                         "4 unknown inet 127.0.0.1:" + std::to_string(second_port) + " cloexec\n";
  EXPECT_EQ(activate_in_child({first, second}, "2", std::nullopt), expected);
  EXPECT_EQ(activate_in_child({first, second}, "2", ""), expected);
  ::close(first);
  ::close(second);
}

TEST(SocketActivation, NonSocketIsRejected) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  EXPECT_EQ(activate_in_child({pipe_fds[0]}, "1", "http"),
            "error: inherited fd 3 (\"http\") is not a socket");
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

TEST(SocketActivation, DatagramSocketIsRejected) {
  int udp = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(udp, 0);
  EXPECT_EQ(activate_in_child({udp}, "1", "dns"),
            "error: inherited fd 3 (\"dns\") is not a stream socket (use ListenStream=)");
  ::close(udp);
}

TEST(SocketActivation, NonListeningSocketIsRejected) {
  int tcp = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(tcp, 0);
  EXPECT_EQ(activate_in_child({tcp}, "1", "conn"),
            "error: inherited fd 3 (\"conn\") is not listening (the .socket unit must not set "
            "Accept=yes)");
  ::close(tcp);
}

TEST(SocketActivation, LaterSocketRejectedAfterEarlierOnesAccepted) {
  int port = 0;
  int tcp = tcp_listener(AF_INET, port);
  int pipe_fds[2];
  ASSERT_GE(tcp, 0);
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  EXPECT_EQ(activate_in_child({tcp, pipe_fds[1]}, "2", "http:oops"),
            "error: inherited fd 4 (\"oops\") is not a socket");
  ::close(tcp);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

TEST(SocketActivation, MissingDescriptorIsRejectedAndTheOthersStillGetCloexec) {
  int port = 0;
  int tcp = tcp_listener(AF_INET, port);
  ASSERT_GE(tcp, 0);
  std::string result = in_child_with_fds({tcp}, [] {
    std::string error;
    auto sockets = inherited_sockets({std::to_string(::getpid()), "2", std::nullopt}, error);
    bool cloexec = (::fcntl(kListenFdsStart, F_GETFD) & FD_CLOEXEC) != 0;
    return describe(sockets, error) + (cloexec ? "; fd 3 cloexec" : "; fd 3 inheritable");
  });
  EXPECT_EQ(result,
            "error: inherited fd 4: " + std::string(std::strerror(EBADF)) + "; fd 3 cloexec");
  ::close(tcp);
}

TEST(SocketActivation, FromEnvironmentUnsetsTheVariables) {
  int port = 0;
  int tcp = tcp_listener(AF_INET, port);
  ASSERT_GE(tcp, 0);
  std::string result = in_child_with_fds({tcp}, [] {
    ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
    ::setenv("LISTEN_FDS", "1", 1);
    ::setenv("LISTEN_FDNAMES", "web", 1);
    std::string error;
    auto sockets = inherited_sockets_from_environment(error);
    bool unset =
        !std::getenv("LISTEN_PID") && !std::getenv("LISTEN_FDS") && !std::getenv("LISTEN_FDNAMES");
    return describe(sockets, error) + (unset ? "unset" : "still set");
  });
  EXPECT_EQ(result, "3 web inet 127.0.0.1:" + std::to_string(port) + " cloexec\nunset");
  ::close(tcp);
}

TEST(SocketActivation, FromEnvironmentUnsetsVariablesMeantForAnotherProcess) {
  ::setenv("LISTEN_PID", std::to_string(::getpid() + 1).c_str(), 1);
  ::setenv("LISTEN_FDS", "1", 1);
  std::string error;
  auto sockets = inherited_sockets_from_environment(error);
  ASSERT_TRUE(sockets) << error;
  EXPECT_TRUE(sockets->empty());
  EXPECT_EQ(std::getenv("LISTEN_PID"), nullptr);
  EXPECT_EQ(std::getenv("LISTEN_FDS"), nullptr);
}

}  // namespace
}  // namespace surge::detail
