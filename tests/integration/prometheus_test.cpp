// surged against the real Prometheus tools (Debian's prometheus package): promtool checks a real
// scrape, a real Prometheus server scrapes surged and counts exactly the requests sent, and the
// shipped deploy/ files name only metrics a real scrape contains. Skipped without the tools.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon_process.hpp"
#include "support/raw_client.hpp"

namespace surge::test {
namespace {

struct CommandResult {
  int code = -1;
  std::string output;
};

// Runs a shell command; stdout and stderr together.
CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof(buf), pipe)) r.output.append(buf, n);
  const int status = ::pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The absolute path of an installed tool, "" if it is not on PATH.
std::string tool_path(const std::string& tool) {
  CommandResult r = run_command("command -v " + tool);
  while (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
  return r.code == 0 && r.output.rfind('/', 0) == 0 ? r.output : "";
}
bool installed(const std::string& tool) { return !tool_path(tool).empty(); }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

template <typename Predicate>
bool eventually(Predicate done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

// Every metric source on: a rate limit, a breaker, load shedding (adaptive), request ids, CORS, the
// access log (to a file), recover (on by default) and an upstream whose one host refuses (with
// its own breaker). Small: one route per source.
std::string all_sources_config(const std::string& access_log) {
  nlohmann::json config = nlohmann::json::parse(R"({
    "listen": ["127.0.0.1:0"], "threads": 2,
    "rate_limits": {"tight": {"rate": 1, "per": "minute", "burst": 1, "key": "none"}},
    "breakers": {"backend": {"consecutive_failures": 1, "open_ms": 60000}},
    "load_shedding": {"max_in_flight_per_worker": 100, "adaptive": {"initial_limit": 50}},
    "middleware": {"request_id": {"enabled": true}, "cors": {"allowed_origins": ["https://app.example"]}},
    "access_log": {"enabled": true, "format": "json", "output": "file"},
    "upstreams": {"gone": {"servers": [{"address": "127.0.0.1:1"}], "breaker": "backend"}},
    "routes": [
      {"path": "/proxied", "handler": {"type": "proxy", "upstream": "gone"}},
      {"path": "/plaintext", "handler": {"type": "text", "body": "Hello, World!"}},
      {"path": "/limited", "rate_limit": ["tight"], "handler": {"type": "text", "body": "ok"}},
      {"path": "/down", "breaker": "backend", "handler": {"type": "text", "status": 502, "body": "down"}}]})");
  config["access_log"]["path"] = access_log;
  return config.dump();
}

// surged started with all_sources_config, its main and exporter ports found.
class Surged {
 public:
  Surged()
      : daemon_({"--config", dir_.write("surge.json", all_sources_config(dir_.path() + "/access.log")),
                 "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"}) {
    port_ = daemon_.wait_listening().value_or(0);
    static const std::regex kExporter(R"(metrics on http://[0-9.]+:([0-9]+)/metrics)");
    std::smatch match;
    const std::string out = daemon_.wait_output("metrics on http://") ? daemon_.output() : "";
    if (std::regex_search(out, match, kExporter)) metrics_port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
  }

  bool started() const { return port_ != 0 && metrics_port_ != 0; }
  std::uint16_t port() const { return port_; }
  std::uint16_t metrics_port() const { return metrics_port_; }
  DaemonProcess& process() { return daemon_; }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  DaemonProcess daemon_;
  std::uint16_t port_ = 0;
  std::uint16_t metrics_port_ = 0;
};

int status_of(std::uint16_t port, std::string_view request) {
  const auto r = fetch(port, request);
  return r ? r->status : 0;
}

// One request of each kind the catalogue distinguishes, so every source has series to report.
void send_every_kind_of_request(std::uint16_t port) {
  EXPECT_EQ(status_of(port, get("/plaintext", "X-Request-ID: prom-test-1\r\n")), 200);
  EXPECT_EQ(status_of(port, get("/nope")), 404);
  EXPECT_EQ(status_of(port, "POST /plaintext HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"), 405);
  EXPECT_EQ(status_of(port, "OPTIONS /plaintext HTTP/1.1\r\nHost: t\r\nOrigin: https://app.example\r\n"
                            "Access-Control-Request-Method: GET\r\n\r\n"),
            204);
  EXPECT_EQ(status_of(port, get("/limited")), 200);
  EXPECT_EQ(status_of(port, get("/limited")), 429);
  EXPECT_EQ(status_of(port, get("/down")), 502);  // the failure that opens the breaker
  EXPECT_EQ(status_of(port, get("/down")), 503);
  EXPECT_EQ(status_of(port, get("/proxied")), 502);  // refused: opens the host's breaker
  EXPECT_EQ(status_of(port, get("/proxied")), 503);  // no usable host
  RawClient garbage(port);
  ASSERT_TRUE(garbage.send("GARBAGE\r\n\r\n"));
  auto r = garbage.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

// Sample names ("x_bucket", "x_count" included) or family names ("# TYPE x ...") of an exposition.
std::set<std::string> names_in(const std::string& exposition, bool families) {
  std::set<std::string> names;
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);) {
    if (families && line.rfind("# TYPE ", 0) == 0) {
      names.insert(line.substr(7, line.find(' ', 7) - 7));
    } else if (!families && !line.empty() && line[0] != '#') {
      names.insert(line.substr(0, line.find_first_of("{ ")));
    }
  }
  return names;
}

CommandResult promtool_check_metrics(const TempDir& dir, const std::string& exposition) {
  return run_command("promtool check metrics < " + dir.write("scrape.txt", exposition));
}

// A surged that has answered one request of each kind, for the checks with promtool.
class Promtool : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!installed("promtool")) GTEST_SKIP() << "promtool is not installed (deploy/install-deps.sh --test)";
    surged_.emplace();
    ASSERT_TRUE(surged_->started()) << surged_->process().output();
    send_every_kind_of_request(surged_->port());
  }
  Surged& surged() { return *surged_; }

 private:
  std::optional<Surged> surged_;
};

TEST_F(Promtool, ChecksARealScrapeOfEveryMetricSource) {

  auto scrape = fetch(surged().metrics_port(), get("/metrics"));
  ASSERT_TRUE(scrape);
  ASSERT_EQ(scrape->status, 200);
  // prometheus-cpp's exposer says only "text/plain; charset=utf-8"; Prometheus reads that as the
  // text format too.
  EXPECT_EQ(scrape->header("Content-Type").value_or("").rfind("text/plain", 0), 0u);
  const CommandResult check = promtool_check_metrics(surged().dir(), scrape->body);
  EXPECT_EQ(check.code, 0) << check.output;
  EXPECT_EQ(check.output, "") << "promtool warnings";

  const std::string& text = scrape->body;
  for (const char* family : {"http_requests_total", "http_request_duration_seconds", "surge_connections_open",
                             "surge_worker_requests_total", "surge_rate_limited_total", "surge_circuit_breaker_state",
                             "surge_load_shed_total", "surge_concurrency_limit", "surge_panics_total",
                             "surge_request_ids_total", "surge_cors_preflights_total", "surge_access_log_dropped_total",
                             "surge_build_info", "surge_config_reloads_total", "process_open_fds"}) {
    EXPECT_TRUE(names_in(text, true).count(family)) << family << " missing from\n" << text;
  }
  for (const char* sample : {R"(http_requests_total{method="GET",route="/plaintext",code="200"} 1)",
                             R"(http_requests_total{method="GET",route="unmatched",code="404"} 1)",
                             R"(http_requests_total{method="GET",route="/limited",code="429"} 1)",
                             R"(http_requests_total{method="GET",route="/down",code="503"} 1)",
                             R"(surge_rate_limited_total{limit="tight"} 1)",
                             R"(surge_circuit_breaker_state{breaker="backend"} 1)",
                             R"(surge_circuit_breaker_transitions_total{breaker="backend",from="closed",to="open"} 1)",
                             R"(surge_request_ids_total{source="header"} 1)",
                             R"(surge_cors_preflights_total 1)"}) {
    EXPECT_NE(text.find(sample), std::string::npos) << sample << " missing from\n" << text;
  }
  // A 405 counts under route "unmatched" (the method did not match), the garbage under "UNKNOWN".
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(http_requests_total\{method="POST",[^}]*code="405"\} 1)")))
      << text;
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(http_requests_total\{[^}]*code="400"\} 1)"))) << text;
}

TEST_F(Promtool, TheMainListenerServesTheSameExposition) {

  auto main = fetch(surged().port(), get("/metrics"));
  auto exporter = fetch(surged().metrics_port(), get("/metrics"));
  ASSERT_TRUE(main && exporter);
  ASSERT_EQ(main->status, 200);
  EXPECT_EQ(main->header("Content-Type").value_or("").rfind("text/plain; version=0.0.4", 0), 0u)
      << main->header("Content-Type").value_or("(none)");
  const CommandResult check = promtool_check_metrics(surged().dir(), main->body);
  EXPECT_EQ(check.code, 0) << check.output;

  // The same families, but for the exposer's own (exposer_*), which only its endpoint reports.
  std::set<std::string> from_exporter;
  for (const std::string& name : names_in(exporter->body, true)) {
    if (name.rfind("exposer_", 0) != 0) from_exporter.insert(name);
  }
  EXPECT_EQ(names_in(main->body, true), from_exporter);
}

// A child process (Prometheus; args[0] an absolute path) with its output in a file; stopped with
// SIGTERM when it goes away.
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> args, const std::string& log_path) : log_path_(log_path) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      ::dup2(log, 1);
      ::dup2(log, 2);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~ChildProcess() {
    if (!stop(10s)) {
      ::kill(pid_, SIGKILL);
      stop(5s);
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool running() {
    if (exited_) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return true;
    exited_ = true;
    return false;
  }
  /// SIGTERM, then waits for the exit; false if it still runs at the timeout.
  bool stop(std::chrono::milliseconds timeout) {
    if (pid_ <= 0 || !running()) return true;
    ::kill(pid_, SIGTERM);
    return eventually([&] { return !running(); }, timeout);
  }
  std::string log() const { return read_file(log_path_); }

 private:
  std::string log_path_;
  pid_t pid_ = -1;
  bool exited_ = false;
};

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string url_encode(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

// Prometheus's instant query API: the value of a one-element vector, nullopt for an empty one.
// Go gives answers this small (under 2 KiB) a Content-Length rather than chunking them.
std::optional<double> query(std::uint16_t port, const std::string& promql) {
  auto r = fetch(port, "GET /api/v1/query?query=" + url_encode(promql) +
                           " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  if (!r || r->status != 200) throw std::runtime_error("query failed: " + (r ? r->body : "no answer"));
  const nlohmann::json body = nlohmann::json::parse(r->body);
  const auto& result = body.at("data").at("result");
  if (result.empty()) return std::nullopt;
  return std::stod(result.at(0).at("value").at(1).get<std::string>());
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TEST(PrometheusServer, ScrapesSurgedAndCountsExactlyTheRequestsSent) {
  const std::string prometheus_path = tool_path("prometheus");
  if (prometheus_path.empty()) GTEST_SKIP() << "prometheus is not installed (deploy/install-deps.sh --test)";
  Surged surged;
  ASSERT_TRUE(surged.started()) << surged.process().output();
  TempDir dir;
  const std::string config = dir.write("prometheus.yml",
                                       "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
                                       "scrape_configs:\n"
                                       "  - job_name: surge\n"
                                       "    static_configs: [{targets: ['127.0.0.1:" +
                                           std::to_string(surged.metrics_port()) + "']}]\n");
  // The free port may be taken before Prometheus binds it: then it exits, and we try another.
  std::unique_ptr<ChildProcess> prometheus;
  std::uint16_t port = 0;
  std::string failed_log;
  for (int attempt = 0; attempt < 3 && !prometheus; ++attempt) {
    port = free_port();
    prometheus = std::make_unique<ChildProcess>(
        std::vector<std::string>{prometheus_path, "--config.file=" + config, "--storage.tsdb.path=" + dir.path() + "/data",
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"},
        dir.path() + "/prometheus.log");
    const bool ready = eventually([&] {
      try {
        auto r = fetch(port, "GET /-/ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 1s);
        if (r && r->status == 200) return true;
      } catch (const std::runtime_error&) {  // not listening yet
      }
      return !prometheus->running();
    }, 20s);
    ASSERT_TRUE(ready) << prometheus->log();
    if (!prometheus->running()) {
      failed_log = prometheus->log();
      prometheus.reset();
    }
  }
  ASSERT_TRUE(prometheus) << "prometheus did not start:\n" << failed_log;

  ASSERT_TRUE(eventually([&] { return query(port, R"(up{job="surge"})") == 1.0; }, 20s)) << prometheus->log();
  const std::string requests = R"(sum(http_requests_total{job="surge", route="/plaintext"}))";
  const double before = query(port, requests).value_or(0);

  constexpr int kRequests = 37;
  for (int i = 0; i < kRequests; ++i) ASSERT_EQ(status_of(surged.port(), get("/plaintext")), 200);
  // Every response was read, so surged has counted every request. Wait for a scrape that started
  // after that (the margin covers Prometheus aligning scrape timestamps by a few milliseconds).
  const double sent = unix_now();
  ASSERT_TRUE(eventually([&] { return query(port, R"(timestamp(up{job="surge"}))").value_or(0) > sent + 0.05; },
                         20s))
      << prometheus->log();
  EXPECT_EQ(query(port, requests).value_or(0) - before, kRequests);
  EXPECT_EQ(query(port, R"(up{job="surge"})"), 1.0);

  EXPECT_TRUE(prometheus->stop(20s)) << prometheus->log();
  surged.process().signal(SIGTERM);
  EXPECT_EQ(surged.process().wait_exit(), 0);
}

// Metric names in a PromQL expression: names before a label selector or a range, and bare names
// that are not functions, keywords, grouping labels or numbers. A heuristic, but one that fails
// loudly: every expression must yield at least one name.
std::set<std::string> metric_names(std::string expr) {
  std::set<std::string> names;
  expr = std::regex_replace(expr, std::regex(R"("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)"), "\"\"");
  static const std::regex kSelector(R"(([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{)");
  for (std::sregex_iterator it(expr.begin(), expr.end(), kSelector), end; it != end; ++it) names.insert((*it)[1]);
  expr = std::regex_replace(expr, std::regex(R"(\{[^}]*\}|\[[^\]]*\])"), " ");
  expr = std::regex_replace(
      expr, std::regex(R"(\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\))"), " ");
  static const std::set<std::string> kKeywords{"and", "or", "unless", "bool", "offset", "by", "without", "on",
                                               "ignoring", "group_left", "group_right", "atan2", "inf", "nan",
                                               "Inf", "NaN"};
  static const std::regex kToken(R"(([a-zA-Z0-9_:.$]+)(\s*\()?)");
  for (std::sregex_iterator it(expr.begin(), expr.end(), kToken), end; it != end; ++it) {
    const std::string token = (*it)[1];
    const bool function = (*it)[2].matched;
    if (function || kKeywords.count(token) || std::isdigit(static_cast<unsigned char>(token[0])) ||
        token[0] == '.' || token[0] == '$') {
      continue;
    }
    names.insert(token);
  }
  return names;
}

TEST(PrometheusDeployFiles, TheMetricNameHeuristicFindsSelectorsAndBareNames) {
  EXPECT_EQ(metric_names(R"(sum by (route, le) (rate(a_bucket{job="$job", code=~"5.."}[$__rate_interval])) / )"
                         R"(ignoring (pool) b > 0.5 and on() c_total offset 5m or time() - d{x="y{"})"),
            (std::set<std::string>{"a_bucket", "b", "c_total", "d"}));
}

std::string deploy(const std::string& name) { return std::string(SURGE_SOURCE_DIR) + "/deploy/" + name; }

// The expressions of alerts.yml: "expr: <one line>" or "expr: |" and the lines indented under it.
std::vector<std::string> alert_expressions(const std::string& yaml) {
  std::vector<std::string> exprs;
  std::istringstream in(yaml);
  std::string line;
  std::size_t block_indent = 0;
  bool in_block = false;
  while (std::getline(in, line)) {
    const std::size_t indent = line.find_first_not_of(' ');
    if (in_block) {
      if (indent != std::string::npos && indent > block_indent) {
        exprs.back() += line.substr(indent) + "\n";
        continue;
      }
      in_block = false;
    }
    if (indent == std::string::npos || line.compare(indent, 5, "expr:") != 0) continue;
    const std::size_t start = line.find_first_not_of(' ', indent + 5);
    const std::string value = start == std::string::npos ? "" : line.substr(start);
    in_block = value == "|" || value == ">" || value == "|-" || value == ">-";
    block_indent = indent;
    exprs.push_back(in_block ? "" : value);
  }
  return exprs;
}

// Every "expr" of the dashboard's panels, and the metric of each label_values() variable query.
void dashboard_expressions(const nlohmann::json& node, std::vector<std::string>& exprs) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "expr" && value.is_string()) exprs.push_back(value.get<std::string>());
      if (key == "definition" && value.is_string()) {
        std::smatch m;
        const std::string definition = value.get<std::string>();
        if (std::regex_search(definition, m, std::regex(R"(label_values\(([^,]+),)"))) exprs.push_back(m[1]);
      }
      dashboard_expressions(value, exprs);
    }
  } else if (node.is_array()) {
    for (const auto& item : node) dashboard_expressions(item, exprs);
  }
}

TEST(PrometheusDeployFiles, AlertsAndDashboardUseOnlyMetricsSurgedExports) {
  nlohmann::json dashboard;
  ASSERT_NO_THROW(dashboard = nlohmann::json::parse(read_file(deploy("grafana-dashboard.json"))));
  std::set<int> ids;
  for (const auto& panel : dashboard.at("panels")) {
    EXPECT_TRUE(ids.insert(panel.at("id").get<int>()).second) << "duplicate panel id " << panel.at("id");
    EXPECT_LE(panel.at("gridPos").at("x").get<int>() + panel.at("gridPos").at("w").get<int>(), 24);
    if (panel.at("type") != "row") {
      EXPECT_FALSE(panel.at("targets").empty()) << panel.at("title");
    }
  }
  std::vector<std::string> dashboard_exprs;
  dashboard_expressions(dashboard, dashboard_exprs);
  const std::vector<std::string> alert_exprs = alert_expressions(read_file(deploy("alerts.yml")));
  EXPECT_GE(dashboard_exprs.size(), 30u);
  EXPECT_GE(alert_exprs.size(), 10u);

  Surged surged;
  ASSERT_TRUE(surged.started()) << surged.process().output();
  send_every_kind_of_request(surged.port());
  auto scrape = fetch(surged.metrics_port(), get("/metrics"));
  ASSERT_TRUE(scrape && scrape->status == 200);
  std::set<std::string> exported = names_in(scrape->body, false);
  exported.insert("up");  // written by Prometheus for every target

  std::set<std::string> used;
  auto check = [&](const std::string& file, const std::string& expr) {
    const std::set<std::string> names = metric_names(expr);
    EXPECT_FALSE(names.empty()) << file << ": no metric found in " << expr;
    for (const std::string& name : names) {
      EXPECT_TRUE(exported.count(name)) << file << " uses " << name << ", which surged does not export, in\n"
                                        << expr;
      used.insert(name);
    }
  };
  for (const std::string& expr : dashboard_exprs) check("grafana-dashboard.json", expr);
  for (const std::string& expr : alert_exprs) check("alerts.yml", expr);
  EXPECT_GE(used.size(), 40u);  // the heuristic found what the files use, not a handful
}

// The dashboard's queries parse: as recording rules (Grafana's variables replaced) for promtool.
TEST(PrometheusDeployFiles, DashboardQueriesAreValidPromQL) {
  if (!installed("promtool")) GTEST_SKIP() << "promtool is not installed (deploy/install-deps.sh --test)";
  std::vector<std::string> exprs;
  dashboard_expressions(nlohmann::json::parse(read_file(deploy("grafana-dashboard.json"))), exprs);
  std::string rules = "groups:\n  - name: dashboard\n    rules:\n";
  for (std::size_t i = 0; i < exprs.size(); ++i) {
    std::string expr = std::regex_replace(exprs[i], std::regex(R"(\$__rate_interval|\$__interval)"), "1m");
    expr = std::regex_replace(expr, std::regex(R"(\$job)"), "surge");
    expr = std::regex_replace(expr, std::regex(R"(\$instance)"), ".*");
    rules += "      - record: dashboard:query" + std::to_string(i) + "\n        expr: " + nlohmann::json(expr).dump() + "\n";
  }
  TempDir dir;
  const CommandResult check = run_command("promtool check rules " + dir.write("dashboard_rules.yml", rules));
  EXPECT_EQ(check.code, 0) << check.output << "\n" << rules;
}

}  // namespace
}  // namespace surge::test
