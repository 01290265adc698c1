// A real nginx as the upstream of a proxy route: static files of several sizes and a POST echoed
// back by nginx's own body handling, through surged's pool (nginx's keepalive_requests and
// keepalive_timeout decide when it closes upstream connections, as they do in production).
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "config/config_loader.hpp"
#include "daemon/app_builder.hpp"
#include "support/raw_client.hpp"
#include "support/test_server.hpp"

namespace surge::test {
namespace {

constexpr const char* kNginx = "/usr/sbin/nginx";

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), length);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class Nginx {
 public:
  explicit Nginx(const std::filesystem::path& dir) : dir_(dir), port_(free_port()) {
    std::ofstream(dir / "nginx.conf") << "daemon off; master_process off; worker_processes 1;\n"
        << "error_log " << (dir / "error.log").string() << " warn; pid " << (dir / "nginx.pid").string() << ";\n"
        << "events { worker_connections 256; }\n"
        << "http { access_log off; client_body_temp_path " << dir.string() << "; keepalive_requests 7;\n"
        << "  server { listen 127.0.0.1:" << port_ << "; root " << (dir / "www").string() << ";\n"
        << "    location = /echo { client_body_buffer_size 1m; proxy_pass http://127.0.0.1:" << port_ << "/sink; }\n"
        << "    location = /sink { return 200 \"$request_method $http_x_forwarded_for $content_length\\n\"; }\n"
        << "  } }\n";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives the test
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execl(kNginx, kNginx, "-p", dir.c_str(), "-c", (dir / "nginx.conf").c_str(), nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      try {
        RawClient probe(port_);
        if (probe.send("GET /small.txt HTTP/1.1\r\nHost: t\r\n\r\n") && probe.read_response()) return;
      } catch (const std::exception&) {
        // not listening yet
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~Nginx() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  std::uint16_t port() const { return port_; }

 private:
  std::filesystem::path dir_;
  std::uint16_t port_;
  pid_t pid_ = -1;
};

TEST(ProxyNginxUpstream, FilesAndBodiesComeBackWholeOverAReusedPool) {
  if (::access(kNginx, X_OK) != 0) GTEST_SKIP() << "no nginx";
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("surge-nginx-upstream-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "www");
  std::string big(1 << 20, 'x');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 31 + i / 7) % 26);
  std::ofstream(dir / "www" / "big.bin", std::ios::binary) << big;
  std::ofstream(dir / "www" / "small.txt") << "small\n";
  {
    Nginx nginx(dir);
    const detail::DaemonConfig config = detail::parse_config(
        R"({"upstreams": {"web": {"servers": [{"address": "127.0.0.1:)" + std::to_string(nginx.port()) +
            R"("}]}}, "routes": [{"path": "/*path", "method": "*", "max_body_bytes": 4194304,
            "handler": {"type": "proxy", "upstream": "web"}}]})",
        "test.json");
    TestServer server(test_config(), detail::build_router(config, "test.json", std::make_shared<detail::Readiness>(), nullptr));
    RawClient client(server.port());
    // nginx closes an upstream connection after 7 requests: surged must see each close coming
    // (Connection: close on the 7th answer) and never send on a connection nginx has closed.
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE(client.send(get(i % 3 == 0 ? "/big.bin" : "/small.txt")));
      auto r = client.read_response(std::chrono::seconds(10));
      ASSERT_TRUE(r) << i;
      ASSERT_EQ(r->status, 200) << i;
      if (i % 3 == 0) {
        EXPECT_TRUE(r->body == big) << i;
      } else {
        EXPECT_EQ(r->body, "small\n") << i;
      }
    }
    const std::string body(300000, 'b');
    ASSERT_TRUE(client.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
                            std::string("493e0\r\n") + body + "\r\n0\r\n\r\n"));
    auto r = client.read_response(std::chrono::seconds(10));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "POST 127.0.0.1 300000\n");  // all 300,000 bytes reached nginx, the address appended
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace surge::test
