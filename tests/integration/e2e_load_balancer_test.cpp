// End to end behind a real load balancer: nginx, configured from the shipped
// deploy/nginx-upstream.conf, in front of two surged processes; a steady, bounded stream of
// keep-alive requests through nginx; and mid-stream one instance drained (SIGTERM) while the other
// reloads (SIGHUP), or one instance killed (SIGKILL). Every client call has a timeout, so nothing
// here can hang; a failure prints what each request saw, nginx's error log and both daemons' logs.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon_process.hpp"
#include "support/raw_client.hpp"

namespace surge::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kNginx = "/usr/sbin/nginx";
// The instances' shutdown.drain_delay_ms. The shipped keepalive_timeout must stay below it by
// kDrainMargin (see "Draining" in deploy/nginx-upstream.conf).
constexpr milliseconds kDrainDelay{5000};
constexpr milliseconds kDrainMargin{1000};
constexpr milliseconds kIdleTimeout{75000};  // surged's timeouts.idle_ms default
constexpr int kClients = 4;
constexpr auto kClientInterval = std::chrono::microseconds(4000);  // ~250 requests/s per client
constexpr int kMaxRequestsPerClient = 4000;                       // the stream's hard bound
constexpr milliseconds kRequestTimeout{5000};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string tail(const std::string& text, std::size_t bytes = 6000) {
  return text.size() <= bytes ? text : "...\n" + text.substr(text.size() - bytes);
}

std::string without_comments(const std::string& text) {
  return std::regex_replace(text, std::regex("#[^\n]*"), "");
}

// ---------------------------------------------------------------------------------------------
// The shipped nginx example, with the test's addresses in place of the example's.

struct Site {
  std::string text;                  // ready to include in http {}
  std::vector<std::string> problems; // essential directives missing or wrong
};

std::optional<milliseconds> nginx_duration(const std::string& value) {
  std::smatch m;
  if (!std::regex_match(value, m, std::regex(R"((\d+)(ms|s|m)?)"))) return std::nullopt;
  const long n = std::stol(m[1]);
  if (m[2] == "ms") return milliseconds(n);
  if (m[2] == "m") return milliseconds(n * 60000);
  return milliseconds(n * 1000);
}

Site derive_site(const std::string& shipped, std::uint16_t listen_port,
                 const std::vector<std::uint16_t>& upstream_ports) {
  Site site;
  const std::string text = without_comments(shipped);
  auto need = [&](const std::string& pattern, const std::string& what) {
    if (!std::regex_search(text, std::regex(pattern))) site.problems.push_back("missing " + what);
  };
  need(R"(upstream\s+surge\s*\{)", "`upstream surge {`");
  need(R"(proxy_pass\s+http://surge\s*;)", "`proxy_pass http://surge;`");
  need(R"(\n\s*keepalive\s+\d+\s*;)", "`keepalive N;` in the upstream");
  need(R"(proxy_http_version\s+1\.1\s*;)", "`proxy_http_version 1.1;`");
  need(R"(proxy_set_header\s+Connection\s+""\s*;)", "`proxy_set_header Connection \"\";`");
  need(R"(proxy_set_header\s+X-Forwarded-For\s+\$proxy_add_x_forwarded_for\s*;)",
       "`proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;`");
  need(R"(proxy_set_header\s+X-Request-ID\s)", "`proxy_set_header X-Request-ID ...;`");

  std::smatch m;
  if (std::regex_search(text, m, std::regex(R"(\n\s*proxy_next_upstream\s+([^;]*);)"))) {
    const std::string conditions = " " + m[1].str() + " ";
    if (conditions.find(" error ") == std::string::npos) {
      site.problems.push_back("proxy_next_upstream must list `error` (refused connects)");
    }
    if (conditions.find(" non_idempotent ") != std::string::npos) {
      site.problems.push_back("proxy_next_upstream must not list non_idempotent (it resends POSTs)");
    }
  } else {
    site.problems.push_back("missing `proxy_next_upstream ...;`");
  }
  if (std::regex_search(text, m, std::regex(R"(\n\s*keepalive_timeout\s+(\w+)\s*;)"))) {
    auto timeout = nginx_duration(m[1]);
    if (!timeout || *timeout + kDrainMargin > kDrainDelay || *timeout >= kIdleTimeout) {
      site.problems.push_back("the upstream keepalive_timeout " + m[1].str() + " must be at most " +
                              std::to_string((kDrainDelay - kDrainMargin).count()) +
                              " ms, below the drain delay nginx.conf recommends");
    }
  } else {
    site.problems.push_back("missing `keepalive_timeout` in the upstream");
  }

  // Every `server host:port ...;` line of the upstream becomes one per test instance, with the
  // shipped parameters (max_fails, fail_timeout); every `listen` line becomes the test's one.
  static const std::regex kServerLine(R"(\n([ \t]*)server\s+[^\s;]+:\d+([^;\n]*);)");
  static const std::regex kListenLine(R"(\n[ \t]*listen\s+[^;\n]*;)");
  std::string out = shipped;
  if (!std::regex_search(out, m, kServerLine)) {
    site.problems.push_back("no `server host:port ...;` line in the upstream");
    return site;
  }
  std::string servers;
  for (std::uint16_t port : upstream_ports) {
    servers += "\n" + m[1].str() + "server 127.0.0.1:" + std::to_string(port) + m[2].str() + ";";
  }
  out = m.prefix().str() + servers + std::regex_replace(m.suffix().str(), kServerLine, "");
  if (!std::regex_search(out, m, kListenLine)) {
    site.problems.push_back("no `listen` line in the server block");
    return site;
  }
  out = m.prefix().str() + "\n    listen 127.0.0.1:" + std::to_string(listen_port) + ";" +
        std::regex_replace(m.suffix().str(), kListenLine, "");
  site.text = out;
  return site;
}

// ---------------------------------------------------------------------------------------------
// nginx as a child process with its own prefix, config, temp paths and logs.

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t size = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class NginxProcess {
 public:
  /// Starts nginx on 127.0.0.1 with `site` (from derive_site) included in its http {} block.
  NginxProcess(const TempDir& dir, const std::string& site, std::uint16_t port) : dir_(dir.path()), port_(port) {
    std::filesystem::create_directories(dir_ + "/logs");
    std::filesystem::create_directories(dir_ + "/temp");
    dir.write("surge-site.conf", site);
    // As root the workers would otherwise run as nobody, who cannot use the private temp dir.
    const std::string user = ::geteuid() == 0 ? "user root;\n" : "";
    dir.write("nginx.conf", user + "worker_processes 1;\ndaemon off;\npid " + dir_ + "/nginx.pid;\n" +
                                "error_log " + error_log_path() + " info;\n" +
                                "events { worker_connections 1024; }\n" +
                                "http {\n" +
                                "  access_log off;\n" +
                                "  client_body_temp_path " + dir_ + "/temp/body;\n" +
                                "  proxy_temp_path " + dir_ + "/temp/proxy;\n" +
                                "  fastcgi_temp_path " + dir_ + "/temp/fastcgi;\n" +
                                "  uwsgi_temp_path " + dir_ + "/temp/uwsgi;\n" +
                                "  scgi_temp_path " + dir_ + "/temp/scgi;\n" +
                                "  include " + dir_ + "/surge-site.conf;\n}\n");
    // Built before fork: the child of a threaded process may only make async-signal-safe calls.
    const std::string out = dir_ + "/nginx.out";
    const std::string conf = dir_ + "/nginx.conf";
    const std::string error_log = error_log_path();
    pid_ = ::fork();
    if (pid_ == 0) {
      // If the test process dies (a CTest timeout), nginx must not outlive it holding its port.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::execl(kNginx, "nginx", "-p", dir_.c_str(), "-e", error_log.c_str(), "-c", conf.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~NginxProcess() { stop(); }
  NginxProcess(const NginxProcess&) = delete;
  NginxProcess& operator=(const NginxProcess&) = delete;

  /// True once nginx accepts connections; false if it exited first or took longer than 10 s.
  bool wait_ready() {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      try {
        RawClient probe(port_);
        return true;
      } catch (const std::runtime_error&) {
        std::this_thread::sleep_for(milliseconds(20));
      }
    }
    return false;
  }

  /// Fast shutdown (SIGTERM), then SIGKILL after 10 s.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 1000; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  std::uint16_t port() const { return port_; }
  std::string error_log_path() const { return dir_ + "/logs/error.log"; }
  std::string diagnostics() const {
    return "--- nginx start-up output:\n" + tail(read_file(dir_ + "/nginx.out")) + "--- nginx error.log:\n" +
           tail(read_file(error_log_path()));
  }

 private:
  std::string dir_;
  std::uint16_t port_;
  pid_t pid_ = -1;
};

// ---------------------------------------------------------------------------------------------
// A surged instance with its own config file.

std::string instance_config(const std::string& name, bool reloaded) {
  nlohmann::json routes = nlohmann::json::array({
      {{"method", "GET"}, {"path", "/hello"},
       {"handler", {{"type", "text"}, {"body", "hello"}, {"headers", {{"X-Instance", name}}}}}},
      {{"method", "POST"}, {"path", "/echo"}, {"handler", {{"type", "echo"}}}},
  });
  if (reloaded) {
    routes.push_back({{"method", "GET"}, {"path", "/v2"}, {"handler", {{"type", "text"}, {"body", "v2"}}}});
  }
  nlohmann::json config = {
      {"listen", {"127.0.0.1:0"}},
      {"threads", 1},
      {"trusted_proxies", {"127.0.0.1/32"}},
      {"shutdown", {{"drain_delay_ms", kDrainDelay.count()}, {"timeout_ms", 5000}}},
      {"routes", routes},
  };
  return config.dump(2);
}

struct Instance {
  explicit Instance(const std::string& name) : config(dir.write("surge.json", instance_config(name, false))) {
    process = std::make_unique<DaemonProcess>(std::vector<std::string>{"--config", config});
    port = process->wait_listening().value_or(0);
  }
  TempDir dir;
  std::string config;
  std::unique_ptr<DaemonProcess> process;
  std::uint16_t port = 0;
};

// ---------------------------------------------------------------------------------------------
// The request stream: kClients threads, each with one keep-alive connection to nginx (reopened
// when nginx closes it), one request every kClientInterval; every fourth a POST with a body.

struct Failure {
  milliseconds at;    // when the request was sent, since the stream started
  milliseconds done;  // when its failure was seen
  bool post = false;
  std::string what;
};

class RequestStream {
 public:
  explicit RequestStream(std::uint16_t port) : port_(port), start_(Clock::now()) {
    for (int c = 0; c < kClients; ++c) threads_.emplace_back([this, c] { run(c); });
  }
  ~RequestStream() { stop(); }

  void stop() {
    stopping_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  milliseconds elapsed() const { return std::chrono::duration_cast<milliseconds>(Clock::now() - start_); }
  int sent() const { return sent_; }
  /// Responses per X-Instance value, counted from the given time on.
  int served_by(const std::string& instance, milliseconds from = milliseconds(0)) const {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (const auto& [at, name] : served_) n += (name == instance && at >= from) ? 1 : 0;
    return n;
  }
  std::vector<Failure> failures() const {
    std::lock_guard lock(mutex_);
    return failures_;
  }

 private:
  void run(int client) {
    std::unique_ptr<RawClient> connection;
    auto next = Clock::now();
    for (int seq = 0; seq < kMaxRequestsPerClient && !stopping_; ++seq) {
      std::this_thread::sleep_until(next);
      next += kClientInterval;
      const bool post = seq % 4 == 3;
      const std::string id = "e2e-" + std::to_string(client) + "-" + std::to_string(seq);
      const std::string body = "payload " + id + std::string(static_cast<std::size_t>(seq % 200), 'x');
      const std::string request =
          post ? "POST /echo HTTP/1.1\r\nHost: surge.test\r\nX-Request-ID: " + id +
                     "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\n\r\n" + body
               : "GET /hello HTTP/1.1\r\nHost: surge.test\r\nX-Request-ID: " + id + "\r\n\r\n";
      const milliseconds at = elapsed();
      ++sent_;
      try {
        if (!connection) connection = std::make_unique<RawClient>(port_);
      } catch (const std::runtime_error& e) {
        fail(at, post, std::string("cannot connect to nginx: ") + e.what());
        continue;
      }
      if (!connection->send(request)) {
        fail(at, post, id + ": send to nginx failed");
        connection.reset();
        continue;
      }
      auto response = connection->read_response(kRequestTimeout);
      if (!response) {
        fail(at, post, id + ": no complete response within 5 s (or nginx closed the connection)");
        connection.reset();
        continue;
      }
      if (std::string problem = check(*response, post, id, body); !problem.empty()) {
        fail(at, post, id + ": " + problem);
      } else {
        std::lock_guard lock(mutex_);
        served_.emplace_back(at, response->header("X-Instance").value_or(""));
      }
      if (response->closes()) connection.reset();
    }
  }

  static std::string check(const HttpResponse& r, bool post, const std::string& id, const std::string& body) {
    if (r.status != 200) return "status " + std::to_string(r.status) + ", body: " + r.body.substr(0, 200);
    if (!post) return r.body == "hello" ? "" : "wrong body: " + r.body.substr(0, 200);
    try {
      nlohmann::json echo = nlohmann::json::parse(r.body);
      if (echo.at("body") != body) return "echoed a different body: " + r.body.substr(0, 200);
      // What nginx forwarded: the client's request id, and the client's address for surged's
      // trusted_proxies walk.
      std::map<std::string, std::string> headers;
      for (const auto& field : echo.at("headers")) headers[field.at(0).get<std::string>()] = field.at(1).get<std::string>();
      if (headers["X-Request-ID"] != id) return "X-Request-ID not passed on: " + r.body.substr(0, 300);
      if (headers["X-Forwarded-For"] != "127.0.0.1") return "X-Forwarded-For not set: " + r.body.substr(0, 300);
    } catch (const nlohmann::json::exception& e) {
      return std::string("echo is not the expected JSON (") + e.what() + "): " + r.body.substr(0, 200);
    }
    return "";
  }

  void fail(milliseconds at, bool post, std::string what) {
    std::lock_guard lock(mutex_);
    failures_.push_back({at, elapsed(), post, std::move(what)});
  }

  std::uint16_t port_;
  Clock::time_point start_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> sent_{0};
  std::vector<std::thread> threads_;
  mutable std::mutex mutex_;
  std::vector<Failure> failures_;
  std::vector<std::pair<milliseconds, std::string>> served_;
};

std::string describe(const std::vector<Failure>& failures) {
  std::string out;
  for (std::size_t i = 0; i < failures.size() && i < 30; ++i) {
    out += "  at " + std::to_string(failures[i].at.count()) + " ms " + (failures[i].post ? "POST " : "GET  ") +
           failures[i].what + "\n";
  }
  if (failures.size() > 30) out += "  ... and " + std::to_string(failures.size() - 30) + " more\n";
  return out;
}

// ---------------------------------------------------------------------------------------------

class LoadBalancerE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kNginx, X_OK) != 0) GTEST_SKIP() << kNginx << " is not installed (deploy/install-deps.sh --test)";
    a_ = std::make_unique<Instance>("a");
    b_ = std::make_unique<Instance>("b");
    ASSERT_NE(a_->port, 0) << a_->process->output();
    ASSERT_NE(b_->port, 0) << b_->process->output();
    const std::string shipped = read_file(std::string(SURGE_SOURCE_DIR) + "/deploy/nginx-upstream.conf");
    ASSERT_FALSE(shipped.empty()) << "deploy/nginx-upstream.conf is missing";
    // The free port can be taken between the probe and nginx's bind: try a few.
    for (int attempt = 0; attempt < 3; ++attempt) {
      const std::uint16_t port = free_port();
      Site site = derive_site(shipped, port, {a_->port, b_->port});
      ASSERT_TRUE(site.problems.empty()) << "deploy/nginx-upstream.conf: " << ::testing::PrintToString(site.problems);
      nginx_dir_ = std::make_unique<TempDir>();
      nginx_ = std::make_unique<NginxProcess>(*nginx_dir_, site.text, port);
      if (nginx_->wait_ready()) return;
      last_start_failure_ = nginx_->diagnostics();
      nginx_.reset();
    }
    FAIL() << "nginx did not start:\n" << last_start_failure_;
  }

  std::string diagnostics() const {
    return nginx_->diagnostics() + "--- surged a:\n" + tail(a_->process->output()) + "--- surged b:\n" +
           tail(b_->process->output());
  }

  std::unique_ptr<Instance> a_, b_;
  std::unique_ptr<TempDir> nginx_dir_;
  std::unique_ptr<NginxProcess> nginx_;
  std::string last_start_failure_;
};

// A planned stop and a config change under load: nginx must not pass a single failure on.
TEST_F(LoadBalancerE2E, DrainOneInstanceAndReloadTheOtherMidStreamWithoutAFailedRequest) {
  RequestStream stream(nginx_->port());
  std::this_thread::sleep_for(milliseconds(1000));

  b_->dir.write("surge.json", instance_config("b-reloaded", true));
  b_->process->signal(SIGHUP);
  const milliseconds term_at = stream.elapsed();
  a_->process->signal(SIGTERM);
  const bool reloaded = b_->process->wait_output("configuration reloaded", milliseconds(5000));
  const std::optional<int> a_exit = a_->process->wait_exit(kDrainDelay + milliseconds(10000));
  const milliseconds exit_at = stream.elapsed();
  // Requests go on after A is gone: nginx must route around its refused connects.
  std::this_thread::sleep_for(milliseconds(1000));
  stream.stop();

  const std::vector<Failure> failures = stream.failures();
  EXPECT_TRUE(failures.empty()) << failures.size() << " of " << stream.sent()
                                << " requests failed (SIGTERM to a at " << term_at.count()
                                << " ms, a exited at " << exit_at.count() << " ms):\n"
                                << describe(failures) << diagnostics();
  // The stream went on past a's exit, through b alone.
  EXPECT_GT(stream.served_by("b-reloaded", exit_at), 0) << diagnostics();
  ASSERT_TRUE(a_exit) << "a still runs " << (kDrainDelay + milliseconds(10000)).count() << " ms after SIGTERM\n"
                      << diagnostics();
  EXPECT_EQ(*a_exit, 0) << diagnostics();
  // The drain served: nginx kept sending to a until it stopped listening, and a answered.
  EXPECT_GT(stream.served_by("a", term_at), 0);
  // The reload took effect on the connections nginx already had open to b.
  EXPECT_TRUE(reloaded) << diagnostics();
  EXPECT_GT(stream.served_by("b-reloaded"), 0) << diagnostics();

  auto direct = fetch(b_->port, get("/v2"));
  ASSERT_TRUE(direct);
  EXPECT_EQ(direct->status, 200);
  EXPECT_EQ(direct->body, "v2");
  auto through_nginx = fetch(nginx_->port(), get("/v2"));
  ASSERT_TRUE(through_nginx) << diagnostics();
  EXPECT_EQ(through_nginx->status, 200) << diagnostics();
  EXPECT_EQ(through_nginx->body, "v2");
}

// A crash: nginx fails over. GETs are retried on the other instance whatever happened to the
// first attempt. A POST is resent only when nothing of it was sent (a refused connect): a POST
// that was on its way to, or inside, the killed instance may have been processed, so with the
// shipped proxy_next_upstream (no non_idempotent) nginx answers it 502 and the client decides.
// Such POSTs exist only at the moment of the kill.
TEST_F(LoadBalancerE2E, KillOneInstanceMidStreamAndNginxFailsOver) {
  RequestStream stream(nginx_->port());
  std::this_thread::sleep_for(milliseconds(1000));
  const milliseconds kill_at = stream.elapsed();
  a_->process->signal(SIGKILL);
  EXPECT_EQ(a_->process->wait_exit(milliseconds(5000)), 128 + SIGKILL);
  const milliseconds dead_at = stream.elapsed();
  std::this_thread::sleep_for(milliseconds(2000));
  // Nothing hangs: every client call is bounded by kRequestTimeout, and one that runs out is a
  // failure below, so a hung request cannot pass unseen.
  stream.stop();

  const std::vector<Failure> failures = stream.failures();
  std::vector<Failure> unexpected;
  for (const Failure& f : failures) {
    // nginx may still pick a cached connection to a in the instant after a died.
    const bool in_flight_at_the_kill = f.at <= dead_at + milliseconds(500) && f.done >= kill_at;
    if (!(f.post && in_flight_at_the_kill && f.what.find("status 502") != std::string::npos)) unexpected.push_back(f);
  }
  EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " of " << stream.sent()
                                  << " requests failed other than a POST in flight at the kill (at "
                                  << kill_at.count() << " ms):\n"
                                  << describe(unexpected) << diagnostics();
  EXPECT_GT(stream.served_by("b", dead_at), 0);
  EXPECT_EQ(stream.served_by("a", dead_at), 0);
  std::cout << "[ info     ] " << stream.sent() << " requests, " << failures.size()
            << " POSTs in flight at the kill answered 502\n";
}

}  // namespace
}  // namespace surge::test
