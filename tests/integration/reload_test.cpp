// SIGHUP reload of the real surged binary: a valid new file changes what new requests get without
// closing a connection or failing a request in flight, listeners move new-before-old, and an
// invalid file or a restart-only change leaves the running configuration as it was, saying so.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon_process.hpp"
#include "support/raw_client.hpp"
#include "support/reloadable.hpp"

namespace surge::test {
namespace {

using std::chrono::milliseconds;

nlohmann::json text_route(const std::string& path, const std::string& body) {
  return {{"method", "GET"}, {"path", path}, {"handler", {{"type", "text"}, {"body", body}}}};
}

nlohmann::json echo_route() {
  return {{"method", "POST"}, {"path", "/echo"}, {"handler", {{"type", "echo"}}}};
}

nlohmann::json base_config(nlohmann::json routes) {
  return {{"listen", {"127.0.0.1:0"}}, {"threads", 1}, {"routes", std::move(routes)}};
}

// A connect to ip:port: 0 when it succeeds, else the errno (ECONNREFUSED for no listener).
int connect_error(const std::string& ip, std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  const int error = rc == 0 ? 0 : errno;
  ::close(fd);
  return error;
}

std::optional<std::uint16_t> port_in_log(const std::string& log, const std::string& prefix, const std::string& ip) {
  std::smatch match;
  const std::regex pattern(prefix + " " + std::regex_replace(ip, std::regex(R"(\.)"), R"(\.)") + ":([0-9]+)");
  if (!std::regex_search(log, match, pattern)) return std::nullopt;
  return static_cast<std::uint16_t>(std::stoi(match[1]));
}

std::string post_echo(std::string_view body_start, std::size_t length) {
  return "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n" +
         std::string(body_start);
}

TEST(Reload, AKeepAliveConnectionOpenedBeforeTheReloadGetsTheNewRoutes) {
  Reloadable surged(base_config({text_route("/hello", "v1")}));
  ASSERT_NE(surged.port(), 0) << surged.process().output();
  RawClient connection(surged.port());
  ASSERT_TRUE(connection.send(get("/hello")));
  auto before = connection.read_response();
  ASSERT_TRUE(before);
  EXPECT_EQ(before->body, "v1");
  EXPECT_EQ(fetch(surged.port(), get("/added"))->status, 404);

  ASSERT_TRUE(surged.reload(base_config({text_route("/hello", "v2"), text_route("/added", "added")}).dump()));
  ASSERT_NE(surged.process().output().find("configuration reloaded"), std::string::npos) << surged.process().output();

  ASSERT_TRUE(connection.send(get("/hello") + get("/added")));
  auto changed = connection.read_response();
  auto added = connection.read_response();
  ASSERT_TRUE(changed && added) << "the connection opened before the reload was closed";
  EXPECT_EQ(changed->body, "v2");
  EXPECT_EQ(added->status, 200);
  EXPECT_EQ(added->body, "added");
  EXPECT_FALSE(added->closes());
}

TEST(Reload, ARequestInFlightCompletesUnderTheConfigurationItStartedWith) {
  Reloadable surged(base_config({text_route("/hello", "v1"), echo_route()}));
  ASSERT_NE(surged.port(), 0) << surged.process().output();
  RawClient in_flight(surged.port());
  // The header alone, asking for 100 Continue: when that arrives, the server has taken the request
  // under the configuration it runs now.
  ASSERT_TRUE(in_flight.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n"
                             "Expect: 100-continue\r\n\r\n"));
  std::string interim;
  for (int i = 0; i < 50 && interim.find("\r\n\r\n") == std::string::npos; ++i) interim += in_flight.read_some(100ms);
  ASSERT_EQ(interim.rfind("HTTP/1.1 100 Continue\r\n", 0), 0u) << interim;
  ASSERT_TRUE(in_flight.send("first"));  // half the body
  // The route is gone from the new file: only a request that started before the reload may reach it.
  ASSERT_TRUE(surged.reload(base_config({text_route("/hello", "v2")}).dump()));
  ASSERT_NE(surged.process().output().find("configuration reloaded"), std::string::npos) << surged.process().output();
  EXPECT_EQ(fetch(surged.port(), post_echo("later", 5))->status, 404);

  ASSERT_TRUE(in_flight.send("-half"));
  auto r = in_flight.read_response();
  ASSERT_TRUE(r) << surged.process().output();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(nlohmann::json::parse(r->body).value("body", ""), "first-half");
  EXPECT_FALSE(r->closes());
  // The same connection's next request is served by the new configuration.
  ASSERT_TRUE(in_flight.send(get("/hello")));
  auto next = in_flight.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "v2");
}

TEST(Reload, ListenersAreAddedBeforeOldOnesCloseAndTheKeptOneNeverRefuses) {
  nlohmann::json config = base_config({text_route("/hello", "hello")});
  config["listen"] = {"127.0.0.1:0", "127.0.0.2:0"};
  Reloadable surged(config);
  ASSERT_NE(surged.port(), 0) << surged.process().output();
  const std::uint16_t kept = surged.port();
  const auto removed = port_in_log(surged.process().output(), "listening on .*", "127.0.0.2");
  ASSERT_TRUE(removed) << surged.process().output();

  // New connections to the kept address, one after the other, for the whole reload.
  std::atomic<bool> stop{false};
  std::atomic<int> served{0};
  std::vector<std::string> failures;
  std::thread client([&] {
    while (!stop) {
      try {
        auto r = fetch(kept, get("/hello"), milliseconds(5000));
        if (r && r->status == 200) {
          ++served;
          continue;
        }
        failures.push_back(r ? "status " + std::to_string(r->status) : "no response");
      } catch (const std::runtime_error& e) {
        failures.push_back(e.what());  // a refused connect
      }
    }
  });
  auto wait_served = [&](int n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (served < n && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(milliseconds(1));
  };
  wait_served(20);

  config["listen"] = {"127.0.0.1:" + std::to_string(kept), "127.0.0.3:0"};
  const bool reloaded = surged.reload(config.dump());
  const int served_at_reload = served;
  wait_served(served_at_reload + 20);
  stop = true;
  client.join();

  ASSERT_TRUE(reloaded);
  const std::string log = surged.process().output();
  EXPECT_TRUE(failures.empty()) << failures.size() << " requests to the kept address failed, first: " << failures[0];
  const auto added = port_in_log(log, "now listening on", "127.0.0.3");
  ASSERT_TRUE(added) << log;
  EXPECT_TRUE(port_in_log(log, "no longer listening on", "127.0.0.2")) << log;
  // The new address is bound before the old one closes (the log says so in that order).
  EXPECT_LT(log.find("now listening on 127.0.0.3"), log.find("no longer listening on 127.0.0.2"));
  EXPECT_EQ(connect_error("127.0.0.3", *added), 0);
  // The old listener is closed by its worker just after the log line: allow it a moment.
  int error = 0;
  for (int i = 0; i < 100 && error != ECONNREFUSED; ++i) {
    error = connect_error("127.0.0.2", *removed);
    if (error != ECONNREFUSED) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(error, ECONNREFUSED) << "127.0.0.2:" << *removed << " still accepts after the reload";
  EXPECT_EQ(fetch(kept, get("/hello"))->status, 200);
}

TEST(Reload, AnInvalidFileKeepsTheRunningConfigurationLogsTheJsonPathAndCountsTheFailure) {
  Reloadable surged(base_config({text_route("/hello", "v1")}));
  ASSERT_NE(surged.port(), 0) << surged.process().output();
  const std::uint16_t metrics = surged.metrics_port();
  ASSERT_NE(metrics, 0) << surged.process().output();
  RawClient kept(surged.port());

  nlohmann::json invalid = base_config({text_route("/hello", "v2")});
  invalid["timeouts"] = {{"idle", 5}};  // the key is idle_ms
  ASSERT_TRUE(surged.reload(invalid.dump()));

  const std::string log = surged.process().output();
  EXPECT_NE(log.find("reload failed, the running configuration stays: " + surged.file() + ": /timeouts/idle: unknown key"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("configuration reloaded"), std::string::npos);
  ASSERT_TRUE(kept.send(get("/hello")));
  auto r = kept.read_response();
  ASSERT_TRUE(r) << "a connection was closed by the failed reload";
  EXPECT_EQ(r->body, "v1");
  EXPECT_EQ(fetch(surged.port(), get("/hello"))->body, "v1");

  auto scrape = fetch(metrics, get("/metrics"));
  ASSERT_TRUE(scrape);
  EXPECT_NE(scrape->body.find("surge_config_reloads_total{result=\"failure\"} 1\n"), std::string::npos)
      << scrape->body.substr(0, 4000);
  EXPECT_NE(scrape->body.find("surge_config_reloads_total{result=\"success\"} 0\n"), std::string::npos);

  // A corrected file reloads, and the failure stays counted.
  ASSERT_TRUE(surged.reload(base_config({text_route("/hello", "v2")}).dump()));
  EXPECT_EQ(fetch(surged.port(), get("/hello"))->body, "v2");
  scrape = fetch(metrics, get("/metrics"));
  ASSERT_TRUE(scrape);
  EXPECT_NE(scrape->body.find("surge_config_reloads_total{result=\"failure\"} 1\n"), std::string::npos);
  EXPECT_NE(scrape->body.find("surge_config_reloads_total{result=\"success\"} 1\n"), std::string::npos);
}

TEST(Reload, ARestartOnlyChangeIsLoggedAndTheRunningValueStays) {
  nlohmann::json config = base_config({text_route("/hello", "v1"), echo_route()});
  config["limits"] = {{"max_body_bytes", 64}};
  Reloadable surged(config);
  ASSERT_NE(surged.port(), 0) << surged.process().output();

  config["threads"] = 2;
  config["limits"]["max_body_bytes"] = 8;
  config["routes"] = {text_route("/hello", "v2"), echo_route()};
  ASSERT_TRUE(surged.reload(config.dump()));

  const std::string log = surged.process().output();
  EXPECT_NE(log.find("reload: changes to \"threads\" need a restart; the running values stay"), std::string::npos)
      << log;
  EXPECT_NE(log.find("reload: changes to \"limits\" need a restart; the running values stay"), std::string::npos)
      << log;
  // Everything else in the file applies; the limit in force is still the one surged started with.
  EXPECT_NE(log.find("configuration reloaded"), std::string::npos) << log;
  EXPECT_EQ(fetch(surged.port(), get("/hello"))->body, "v2");
  auto post = fetch(surged.port(), post_echo("thirty-two bytes of request body", 32));
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 200) << post->body;
}

}  // namespace
}  // namespace surge::test
