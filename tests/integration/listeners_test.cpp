// Listen addresses and workers: IPv4 and IPv6, several listeners, pinned worker threads.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <dirent.h>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "support/raw_client.hpp"
#include "support/test_server.hpp"

namespace surge::test {
namespace {

bool ipv6_loopback_available() {
  int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// One request over IPv6 to [::1]:port.
std::string get_over_ipv6(std::uint16_t port) {
  int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_port = htons(port);
  addr.sin6_addr = in6addr_loopback;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "";
  }
  std::string request = get("/plaintext", "Connection: close\r\n");
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) response.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return response;
}

TEST(Listeners, ServesIpv4AndIpv6ListenersSideBySide) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback here";
  ServerConfig config = test_config();
  config.listen = {"127.0.0.1:0", "[::1]:0"};
  config.threads = 2;
  TestServer server(config);
  auto addresses = server.server().local_addresses();
  ASSERT_EQ(addresses.size(), 2u);
  EXPECT_EQ(addresses[0].rfind("127.0.0.1:", 0), 0u);
  EXPECT_EQ(addresses[1].rfind("[::1]:", 0), 0u);
  std::uint16_t v6_port = static_cast<std::uint16_t>(std::stoi(addresses[1].substr(addresses[1].rfind(':') + 1)));
  auto v4 = fetch(server.port(), get("/plaintext"));
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->body, "Hello, World!");
  std::string v6 = get_over_ipv6(v6_port);
  EXPECT_EQ(v6.substr(0, 15), "HTTP/1.1 200 OK");
  EXPECT_NE(v6.find("Hello, World!"), std::string::npos);
}

TEST(Listeners, EveryWorkerListensOnEveryAddress) {
  ServerConfig config = test_config();
  config.listen = {"127.0.0.1:0", "127.0.0.1:0"};
  config.threads = 3;
  TestServer server(config);
  auto addresses = server.server().local_addresses();
  ASSERT_EQ(addresses.size(), 2u);
  EXPECT_NE(addresses[0], addresses[1]);  // two ephemeral ports, each shared by three workers
  EXPECT_EQ(server.server().workers(), 3u);
  for (const std::string& address : addresses) {
    auto port = static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
    for (int i = 0; i < 6; ++i) {
      auto r = fetch(port, get("/plaintext"));
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 200);
    }
  }
}

// CPUs each of this process's threads named surge-w* may run on, from /proc.
std::set<std::string> worker_affinities() {
  std::set<std::string> affinities;
  DIR* tasks = ::opendir("/proc/self/task");
  while (dirent* entry = ::readdir(tasks)) {
    std::string tid = entry->d_name;
    if (tid == "." || tid == "..") continue;
    std::ifstream comm("/proc/self/task/" + tid + "/comm");
    std::string name;
    std::getline(comm, name);
    if (name.rfind("surge-w", 0) != 0) continue;
    std::ifstream status("/proc/self/task/" + tid + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("Cpus_allowed_list:", 0) == 0) affinities.insert(line.substr(line.find('\t') + 1));
    }
  }
  ::closedir(tasks);
  return affinities;
}

TEST(Listeners, PinnedWorkersRunOnOneCpuEach) {
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) GTEST_SKIP() << "needs two CPUs";
  ServerConfig config = test_config();
  config.threads = 2;
  config.pin_workers = true;
  TestServer server(config);
  ASSERT_TRUE(fetch(server.port(), get("/plaintext")));  // the workers run
  std::set<std::string> affinities = worker_affinities();
  for (int i = 0; i < 200 && affinities.size() < 2; ++i) {  // the second one may still be starting
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    affinities = worker_affinities();
  }
  ASSERT_EQ(affinities.size(), 2u);  // two workers, two different single CPUs
  for (const std::string& cpus : affinities) {
    EXPECT_EQ(cpus.find_first_of(",-"), std::string::npos) << cpus;
  }
}

}  // namespace
}  // namespace surge::test
