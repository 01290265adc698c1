// The metrics exporter's address as an operator meets it at start-up: taken or not local, it is
// one line naming the address, the reason and the setting, and exit code 1 (issue 12), never
// CivetWeb's "null context when constructing CivetServer".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "support/daemon_process.hpp"

namespace surge::test {
namespace {

// A listening socket on 127.0.0.1 with a port the kernel picked, held for the test's duration.
class TakenPort {
 public:
  TakenPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(fd_, 1) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "cannot open a listening socket";
      return;
    }
    port_ = ntohs(address.sin_port);
  }
  ~TakenPort() {
    if (fd_ >= 0) ::close(fd_);
  }
  TakenPort(const TakenPort&) = delete;
  TakenPort& operator=(const TakenPort&) = delete;

  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// The built-in defaults, whatever config/surge.json the working directory may hold.
RunResult run_with_metrics_on(const std::string& address) {
  TempDir dir;
  return run_surged({"--config", dir.write("surge.json", "{}"), "--listen", "127.0.0.1:0", "--threads",
                     "1", "--metrics-listen", address});
}

TEST(MetricsPort, ATakenExporterPortIsOneClearLineAndExit1) {
  TakenPort taken;
  ASSERT_NE(taken.port(), 0);
  const std::string address = "127.0.0.1:" + std::to_string(taken.port());
  RunResult r = run_with_metrics_on(address);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_EQ(r.output, "surged: cannot serve metrics on " + address +
                          ": Address already in use (metrics.listen / --metrics-listen)\n");
}

TEST(MetricsPort, AnExporterAddressThatIsNotLocalSaysWhy) {
  // TEST-NET-1: routable syntax, never an address of this machine.
  RunResult r = run_with_metrics_on("192.0.2.1:9464");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_EQ(r.output,
            "surged: cannot serve metrics on 192.0.2.1:9464: Cannot assign requested address "
            "(metrics.listen / --metrics-listen)\n");
}

}  // namespace
}  // namespace surge::test
