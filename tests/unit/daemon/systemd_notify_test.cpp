#include "daemon/systemd_notify.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

using std::chrono::microseconds;

// Stands in for systemd: an AF_UNIX datagram socket bound to a path in a fresh temporary
// directory, or to an abstract name, that the notifier under test sends to.
class FakeManager {
 public:
  enum class Kind { kPath, kAbstract };

  explicit FakeManager(Kind kind) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    socklen_t length = 0;
    if (kind == Kind::kPath) {
      char dir[] = "/tmp/surge-notify-XXXXXX";
      dir_ = ::mkdtemp(dir);
      name_ = dir_ + "/notify";
      std::memcpy(address.sun_path, name_.c_str(), name_.size() + 1);
      length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size() + 1);
    } else {
      static int counter = 0;
      name_ = "@surge-notify-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
      std::memcpy(address.sun_path + 1, name_.data() + 1, name_.size() - 1);
      length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
    }
    bound_ = ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) == 0;
  }
  ~FakeManager() {
    ::close(fd_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  FakeManager(const FakeManager&) = delete;
  FakeManager& operator=(const FakeManager&) = delete;

  bool bound() const { return bound_; }
  // What $NOTIFY_SOCKET would say.
  const std::string& name() const { return name_; }

  // The next datagram, or nullopt if none arrives within a second.
  std::optional<std::string> receive() {
    pollfd waiter{fd_, POLLIN, 0};
    if (::poll(&waiter, 1, 1000) != 1) return std::nullopt;
    std::string buffer(2 * SystemdNotifier::kMaxMessageBytes, '\0');
    ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n < 0) return std::nullopt;
    buffer.resize(static_cast<std::size_t>(n));
    return buffer;
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
  std::string dir_;
  std::string name_;
};

std::uint64_t monotonic_usec() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000u +
         static_cast<std::uint64_t>(now.tv_nsec) / 1'000u;
}

SystemdNotifier::Environment with_watchdog(std::optional<std::string> usec,
                                           std::optional<std::string> pid) {
  return {"@surge-notify-unused", std::move(usec), std::move(pid)};
}

std::string self_pid() {
  return std::to_string(::getpid());
}

TEST(SystemdNotifier, DisabledWithoutNotifySocket) {
  SystemdNotifier notifier(SystemdNotifier::Environment{});
  EXPECT_FALSE(notifier.enabled());
  EXPECT_TRUE(notifier.problem().empty());
  EXPECT_FALSE(notifier.ready());
  EXPECT_FALSE(notifier.reloading());
  EXPECT_FALSE(notifier.stopping());
  EXPECT_FALSE(notifier.status("idle"));
  EXPECT_FALSE(notifier.watchdog());
  EXPECT_EQ(notifier.watchdog_interval(), microseconds{0});
}

TEST(SystemdNotifier, DefaultConstructedIsDisabled) {
  SystemdNotifier notifier;
  EXPECT_FALSE(notifier.enabled());
  EXPECT_FALSE(notifier.ready());
}

TEST(SystemdNotifier, EmptyNotifySocketMeansDisabled) {
  SystemdNotifier notifier(SystemdNotifier::Environment{"", "1000000", std::nullopt});
  EXPECT_FALSE(notifier.enabled());
  EXPECT_TRUE(notifier.problem().empty());
  EXPECT_EQ(notifier.watchdog_interval(), microseconds{0});
}

TEST(SystemdNotifier, UnsupportedAddressDisablesWithProblem) {
  for (const char* name : {"relative/notify", "vsock:2:1234"}) {
    SystemdNotifier notifier(SystemdNotifier::Environment{name, std::nullopt, std::nullopt});
    EXPECT_FALSE(notifier.enabled()) << name;
    EXPECT_NE(notifier.problem().find("neither"), std::string::npos) << notifier.problem();
  }
}

TEST(SystemdNotifier, TooLongAddressDisablesWithProblem) {
  std::string path = "/" + std::string(sizeof(sockaddr_un::sun_path), 'x');
  SystemdNotifier notifier(SystemdNotifier::Environment{path, std::nullopt, std::nullopt});
  EXPECT_FALSE(notifier.enabled());
  EXPECT_NE(notifier.problem().find("too long"), std::string::npos) << notifier.problem();
}

// A notifier whose $NOTIFY_SOCKET names a fresh fake manager: a path, then an abstract name.
class SystemdNotifierSend : public ::testing::TestWithParam<FakeManager::Kind> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(manager_.bound());
    ASSERT_TRUE(notifier_.enabled()) << notifier_.problem();
  }

  FakeManager manager_{GetParam()};
  SystemdNotifier notifier_{
      SystemdNotifier::Environment{manager_.name(), std::nullopt, std::nullopt}};
};

INSTANTIATE_TEST_SUITE_P(PathAndAbstract, SystemdNotifierSend,
                         ::testing::Values(FakeManager::Kind::kPath, FakeManager::Kind::kAbstract),
                         [](const ::testing::TestParamInfo<FakeManager::Kind>& kind) {
                           return kind.param == FakeManager::Kind::kPath ? "Path" : "Abstract";
                         });

TEST_P(SystemdNotifierSend, SendsEveryState) {
  EXPECT_TRUE(notifier_.ready());
  EXPECT_EQ(manager_.receive(), "READY=1");

  std::uint64_t before = monotonic_usec();
  EXPECT_TRUE(notifier_.reloading());
  std::uint64_t after = monotonic_usec();
  auto reloading = manager_.receive();
  ASSERT_TRUE(reloading);
  std::smatch match;
  ASSERT_TRUE(
      std::regex_match(*reloading, match, std::regex("RELOADING=1\nMONOTONIC_USEC=([0-9]+)")))
      << *reloading;
  std::uint64_t stamp = std::stoull(match[1].str());
  EXPECT_GE(stamp, before);
  EXPECT_LE(stamp, after);

  EXPECT_TRUE(notifier_.stopping());
  EXPECT_EQ(manager_.receive(), "STOPPING=1");
  EXPECT_TRUE(notifier_.status("serving 12 connections"));
  EXPECT_EQ(manager_.receive(), "STATUS=serving 12 connections");
  EXPECT_TRUE(notifier_.watchdog());
  EXPECT_EQ(manager_.receive(), "WATCHDOG=1");
  EXPECT_TRUE(notifier_.send("ERRNO=5\nSTATUS=broken"));
  EXPECT_EQ(manager_.receive(), "ERRNO=5\nSTATUS=broken");
}

TEST_P(SystemdNotifierSend, StatusCannotInjectAssignments) {
  EXPECT_TRUE(notifier_.status(std::string("bad\nREADY=1\0x", 13)));
  EXPECT_EQ(manager_.receive(), "STATUS=bad READY=1 x");
}

TEST_P(SystemdNotifierSend, LongStatusIsCutToOneDatagramOnACharacterBoundary) {
  // "é" is two bytes; with the 7-byte prefix an odd cut would split one.
  std::string text;
  while (text.size() < 2 * SystemdNotifier::kMaxMessageBytes) {
    text += "\xc3\xa9";
  }
  EXPECT_TRUE(notifier_.status(text));
  auto received = manager_.receive();
  ASSERT_TRUE(received);
  EXPECT_EQ(received->rfind("STATUS=", 0), 0u);
  EXPECT_LE(received->size(), SystemdNotifier::kMaxMessageBytes);
  EXPECT_GE(received->size(), SystemdNotifier::kMaxMessageBytes - 1);
  EXPECT_EQ((received->size() - 7) % 2, 0u) << "a UTF-8 character was split";
}

TEST_P(SystemdNotifierSend, SendRefusesWhatTheManagerWouldDrop) {
  EXPECT_FALSE(notifier_.send(""));
  EXPECT_FALSE(notifier_.send(std::string("READY=1\0", 8)));
  EXPECT_FALSE(notifier_.send("STATUS=" + std::string(SystemdNotifier::kMaxMessageBytes, 'x')));
  EXPECT_TRUE(notifier_.send("READY=1"));
  EXPECT_EQ(manager_.receive(), "READY=1");  // nothing else arrived before it
}

TEST(SystemdNotifier, SendReportsFailureWhenNobodyListens) {
  char dir[] = "/tmp/surge-notify-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/absent";
  SystemdNotifier notifier(SystemdNotifier::Environment{path, std::nullopt, std::nullopt});
  EXPECT_TRUE(notifier.enabled());
  EXPECT_FALSE(notifier.ready());
  std::filesystem::remove_all(dir);
}

TEST(SystemdNotifier, MoveTransfersTheSocket) {
  FakeManager manager(FakeManager::Kind::kAbstract);
  ASSERT_TRUE(manager.bound());
  SystemdNotifier first(SystemdNotifier::Environment{manager.name(), "2000000", std::nullopt});
  SystemdNotifier second(std::move(first));
  // The moved-from notifier is disabled: part of the contract, so it is checked.
  EXPECT_FALSE(first.enabled());                          // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(first.watchdog_interval(), microseconds{0});  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(second.enabled());
  EXPECT_EQ(second.watchdog_interval(), microseconds{2'000'000});
  SystemdNotifier third;
  third = std::move(second);
  EXPECT_TRUE(third.watchdog());
  EXPECT_EQ(manager.receive(), "WATCHDOG=1");
}

TEST(SystemdNotifierWatchdog, IntervalWhenPidAbsent) {
  SystemdNotifier notifier(with_watchdog("10000000", std::nullopt));
  EXPECT_EQ(notifier.watchdog_interval(), microseconds{10'000'000});
}

TEST(SystemdNotifierWatchdog, IntervalWhenPidMatches) {
  SystemdNotifier notifier(with_watchdog("5000000", self_pid()));
  EXPECT_EQ(notifier.watchdog_interval(), microseconds{5'000'000});
}

TEST(SystemdNotifierWatchdog, ZeroWhenPidIsAnotherProcess) {
  SystemdNotifier notifier(with_watchdog("5000000", std::to_string(::getpid() + 1)));
  EXPECT_EQ(notifier.watchdog_interval(), microseconds{0});
}

TEST(SystemdNotifierWatchdog, ZeroWhenUsecAbsent) {
  SystemdNotifier notifier(with_watchdog(std::nullopt, self_pid()));
  EXPECT_EQ(notifier.watchdog_interval(), microseconds{0});
}

TEST(SystemdNotifierWatchdog, ZeroWhenValuesAreGarbage) {
  for (const char* usec :
       {"", "abc", "10s", "-5", " 100", "0", "18446744073709551615", "99999999999999999999999"}) {
    SystemdNotifier notifier(with_watchdog(usec, std::nullopt));
    EXPECT_EQ(notifier.watchdog_interval(), microseconds{0}) << '"' << usec << '"';
  }
  for (const char* pid : {"", "self", "0", "-1", "12x"}) {
    SystemdNotifier notifier(with_watchdog("5000000", pid));
    EXPECT_EQ(notifier.watchdog_interval(), microseconds{0}) << '"' << pid << '"';
  }
}

TEST(SystemdNotifierWatchdog, ZeroWhenNotifierDisabled) {
  SystemdNotifier notifier(SystemdNotifier::Environment{std::nullopt, "5000000", self_pid()});
  EXPECT_EQ(notifier.watchdog_interval(), microseconds{0});
}

// These two touch the process environment; ctest runs every test case in its own process.
TEST(SystemdNotifierEnvironment, FromEnvironmentKeepsVariablesByDefault) {
  FakeManager manager(FakeManager::Kind::kAbstract);
  ASSERT_TRUE(manager.bound());
  ::setenv("NOTIFY_SOCKET", manager.name().c_str(), 1);
  ::setenv("WATCHDOG_USEC", "3000000", 1);
  ::setenv("WATCHDOG_PID", self_pid().c_str(), 1);
  auto notifier = SystemdNotifier::from_environment();
  EXPECT_TRUE(notifier.enabled());
  EXPECT_EQ(notifier.watchdog_interval(), microseconds{3'000'000});
  EXPECT_TRUE(notifier.ready());
  EXPECT_EQ(manager.receive(), "READY=1");
  EXPECT_NE(std::getenv("NOTIFY_SOCKET"), nullptr);
  EXPECT_NE(std::getenv("WATCHDOG_USEC"), nullptr);
  EXPECT_NE(std::getenv("WATCHDOG_PID"), nullptr);
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
}

TEST(SystemdNotifierEnvironment, FromEnvironmentCanUnsetVariables) {
  FakeManager manager(FakeManager::Kind::kPath);
  ASSERT_TRUE(manager.bound());
  ::setenv("NOTIFY_SOCKET", manager.name().c_str(), 1);
  ::setenv("WATCHDOG_USEC", "3000000", 1);
  ::unsetenv("WATCHDOG_PID");
  auto notifier = SystemdNotifier::from_environment(SystemdNotifier::EnvironmentPolicy::kUnset);
  EXPECT_TRUE(notifier.enabled());
  EXPECT_EQ(notifier.watchdog_interval(), microseconds{3'000'000});
  EXPECT_EQ(std::getenv("NOTIFY_SOCKET"), nullptr);
  EXPECT_EQ(std::getenv("WATCHDOG_USEC"), nullptr);
  EXPECT_TRUE(notifier.stopping());
  EXPECT_EQ(manager.receive(), "STOPPING=1");
}

TEST(SystemdNotifierEnvironment, FromEnvironmentWithoutVariablesIsDisabled) {
  ::unsetenv("NOTIFY_SOCKET");
  auto notifier = SystemdNotifier::from_environment();
  EXPECT_FALSE(notifier.enabled());
  EXPECT_FALSE(notifier.ready());
}

}  // namespace
}  // namespace surge::detail
