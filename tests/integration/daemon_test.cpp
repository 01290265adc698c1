// The surged binary as an operator meets it: command line, configuration errors, start-up
// errors, the default endpoints, signals, and the systemd notify protocol.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "support/daemon_process.hpp"
#include "support/raw_client.hpp"

namespace surge::test {
namespace {

std::string source_config() { return std::string(SURGE_SOURCE_DIR) + "/config/surge.json"; }

TEST(Daemon, CheckConfigAcceptsTheShippedConfiguration) {
  RunResult r = run_surged({"--check-config", "--config", source_config()});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("configuration ok"), std::string::npos);
}

TEST(Daemon, CheckConfigNamesTheFileTheJsonPathAndTheProblem) {
  TempDir dir;
  std::string file = dir.write("bad.json", R"({"limits": {"max_body_bytes": "big"}})");
  RunResult r = run_surged({"--check-config", "--config", file});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find(file), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("/limits/max_body_bytes"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("expected an integer"), std::string::npos) << r.output;
}

TEST(Daemon, AnUnknownKeyIsAnError) {
  TempDir dir;
  std::string file = dir.write("typo.json", R"({"timeouts": {"idle": 5}})");
  RunResult r = run_surged({"--check-config", "--config", file});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("/timeouts/idle: unknown key"), std::string::npos) << r.output;
}

TEST(Daemon, AMissingConfigFileIsAnError) {
  RunResult r = run_surged({"--check-config", "--config", "/nonexistent/surge.json"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("cannot be read"), std::string::npos) << r.output;
}

TEST(Daemon, CommandLineErrorsPrintUsageAndExit2) {
  RunResult r = run_surged({"--no-such-option"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("unknown option --no-such-option"), std::string::npos);
  EXPECT_NE(r.output.find("Usage: surged"), std::string::npos);
  EXPECT_EQ(run_surged({"--threads", "many"}).code, 2);
}

TEST(Daemon, VersionAndHelp) {
  RunResult version = run_surged({"--version"});
  EXPECT_EQ(version.code, 0);
  EXPECT_EQ(version.output, std::string("surged ") + SURGE_VERSION + "\n");
  RunResult help = run_surged({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.output.find("--check-config"), std::string::npos);
}

TEST(Daemon, APortInUseIsOneClearLineAndExit1) {
  DaemonProcess first({"--listen", "127.0.0.1:0", "--threads", "1"});
  auto port = first.wait_listening();
  ASSERT_TRUE(port) << first.output();
  RunResult second = run_surged({"--listen", "127.0.0.1:" + std::to_string(*port)});
  EXPECT_EQ(second.code, 1);
  EXPECT_EQ(second.output,
            "surged: cannot listen on 127.0.0.1:" + std::to_string(*port) + ": Address already in use\n");
}

TEST(Daemon, AnAddressItCannotBindIsOneClearLine) {
  RunResult r = run_surged({"--listen", "192.0.2.1:8080"});  // TEST-NET: not a local address
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("cannot listen on 192.0.2.1:8080"), std::string::npos) << r.output;
}

TEST(Daemon, ServesTheDefaultEndpoints) {
  DaemonProcess daemon({"--listen", "127.0.0.1:0", "--threads", "2"});
  auto port = daemon.wait_listening();
  ASSERT_TRUE(port) << daemon.output();
  EXPECT_NE(daemon.output().find("2 workers"), std::string::npos);

  auto plaintext = fetch(*port, get("/plaintext"));
  ASSERT_TRUE(plaintext);
  EXPECT_EQ(plaintext->status, 200);
  EXPECT_EQ(plaintext->body, "Hello, World!");
  EXPECT_EQ(plaintext->header("Content-Type"), "text/plain; charset=utf-8");

  auto json = fetch(*port, get("/json"));
  ASSERT_TRUE(json);
  EXPECT_EQ(json->header("Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(json->body), (nlohmann::json{{"message", "Hello, World!"}}));

  EXPECT_EQ(fetch(*port, get("/healthz"))->status, 200);
  EXPECT_EQ(fetch(*port, get("/readyz"))->status, 200);
  EXPECT_EQ(fetch(*port, get("/nope"))->status, 404);
  auto post = fetch(*port, "POST /plaintext HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_TRUE(post->header("Allow"));

  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait_exit(), 0);
}

TEST(Daemon, SigtermFailsReadinessFinishesTheRequestInFlightAndExits0) {
  TempDir dir;
  std::string config = dir.write("surge.json", R"({"listen": ["127.0.0.1:0"], "threads": 1,
      "shutdown": {"drain_delay_ms": 2000, "timeout_ms": 20000}})");
  DaemonProcess daemon({"--config", config});
  auto port = daemon.wait_listening();
  ASSERT_TRUE(port) << daemon.output();

  RawClient in_flight(*port);
  ASSERT_TRUE(in_flight.send("POST /plaintext HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nfirst"));
  daemon.signal(SIGTERM);
  ASSERT_TRUE(daemon.wait_output("draining"));

  // During the drain delay the listener still accepts, and readiness says 503.
  auto ready = fetch(*port, get("/readyz"));
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);

  ASSERT_TRUE(in_flight.send("-half"));
  auto r = in_flight.read_response(20s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);  // answered, completely, and the connection closes
  EXPECT_TRUE(r->closes());
  EXPECT_EQ(daemon.wait_exit(), 0) << daemon.output();
  EXPECT_NE(daemon.output().find("stopped"), std::string::npos);
}

TEST(Daemon, ASecondSigtermExitsAtOnce) {
  TempDir dir;
  std::string config = dir.write("surge.json", R"({"listen": ["127.0.0.1:0"], "threads": 1,
      "shutdown": {"drain_delay_ms": 60000, "timeout_ms": 60000}})");
  DaemonProcess daemon({"--config", config});
  ASSERT_TRUE(daemon.wait_listening()) << daemon.output();
  daemon.signal(SIGTERM);
  ASSERT_TRUE(daemon.wait_output("draining"));
  daemon.signal(SIGTERM);
  auto code = daemon.wait_exit(10s);
  ASSERT_TRUE(code) << "still running after the second SIGTERM";
  EXPECT_NE(*code, 0);
  EXPECT_NE(daemon.output().find("second SIGTERM"), std::string::npos);
}

TEST(Daemon, SigintDrainsLikeSigterm) {
  DaemonProcess daemon({"--listen", "127.0.0.1:0", "--threads", "1"});
  ASSERT_TRUE(daemon.wait_listening());
  daemon.signal(SIGINT);
  EXPECT_EQ(daemon.wait_exit(), 0);
}

TEST(Daemon, ReadsConfigSurgeJsonFromTheWorkingDirectoryByDefault) {
  TempDir dir;
  dir.write("config/surge.json", R"({"listen": ["127.0.0.1:0"], "threads": 1, "server_header": "from-file"})");
  DaemonProcess daemon({}, {}, dir.path());
  auto port = daemon.wait_listening();
  ASSERT_TRUE(port) << daemon.output();
  EXPECT_EQ(fetch(*port, get("/plaintext"))->header("Server"), "from-file");
}

TEST(Daemon, ServesASocketInheritedFromTheServiceManager) {
  // What systemd's socket activation does: the listening socket exists before surged starts.
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(listener, 64), 0);
  socklen_t size = sizeof(addr);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &size);
  const std::uint16_t port = ntohs(addr.sin_port);
  {
    DaemonProcess daemon({"--threads", "2"}, {}, "", listener);
    ASSERT_TRUE(daemon.wait_output("inherited socket")) << daemon.output();
    ASSERT_TRUE(daemon.wait_listening()) << daemon.output();
    for (int i = 0; i < 4; ++i) {
      auto r = fetch(port, get("/plaintext"));
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 200);
    }
    daemon.signal(SIGTERM);
    EXPECT_EQ(daemon.wait_exit(), 0);
  }
  // The socket outlived the process: a connection made now waits in its queue (for the next
  // instance) instead of being refused.
  RawClient queued(port);
  EXPECT_TRUE(queued.send(get("/plaintext")));
  ::close(listener);
}

// A unix datagram socket standing in for systemd's notify socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~NotifySocket() { ::close(fd_); }
  /// Receives datagrams until one contains `text` (or the receive times out).
  bool expect(const std::string& text) {
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return false;
      if (std::string(buf, static_cast<std::size_t>(n)).find(text) != std::string::npos) return true;
    }
  }

 private:
  std::string path_;
  int fd_;
};

TEST(Daemon, SpeaksTheSystemdNotifyProtocol) {
  TempDir dir;
  NotifySocket systemd(dir.path() + "/notify");
  DaemonProcess daemon({"--listen", "127.0.0.1:0", "--threads", "2"},
                       {"NOTIFY_SOCKET=" + dir.path() + "/notify", "WATCHDOG_USEC=400000"});
  ASSERT_TRUE(daemon.wait_listening()) << daemon.output();
  EXPECT_TRUE(systemd.expect("READY=1"));
  EXPECT_TRUE(systemd.expect("WATCHDOG=1"));  // every worker loop is alive
  daemon.signal(SIGTERM);
  EXPECT_TRUE(systemd.expect("STOPPING=1"));
  EXPECT_EQ(daemon.wait_exit(), 0);
}

}  // namespace
}  // namespace surge::test
