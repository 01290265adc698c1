// The reverse proxy under a mix of misbehaviour (issue 14), one worker of the real surged binary:
// keep-alive clients sending GETs and POSTs (some chunked) through a well-behaved upstream, clients
// leaving mid-request and mid-response, an upstream that closes pooled connections at random (the
// keep-alive race), resets mid-response, sends bad framing and answers past its read timeout, and
// configuration reloads, all at once. Every request through the well-behaved upstream must get its
// exact 200; a GET through the racing upstream must too (it is replayed once on a fresh
// connection). Afterwards surged still serves, no upstream connection is left lent, and it exits
// cleanly. Bounded in count and time, loopback only. Label "stress": the optimised build and the
// sanitizer build run it.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <iostream>
#include <memory>
#include <mutex>
#include <netinet/in.h>
#include <optional>
#include <random>
#include <signal.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "support/daemon_process.hpp"
#include "support/raw_client.hpp"
#include "support/scripted_upstream.hpp"
#include "support/text.hpp"

namespace surge::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kGoodRequests = 400;  // the watched client's
constexpr int kLoadClients = 3;
constexpr int kLoadRequests = 300;  // per load client
constexpr int kChaosClients = 2;
constexpr int kChaosRequests = 250;          // per chaos client
constexpr int kLeavers = 300;                // clients leaving mid-request or mid-response
constexpr int kReloads = 8;                  // SIGHUPs during the run
constexpr milliseconds kSafetyStop{40'000};  // the loops stop here whatever their counts
constexpr std::size_t kBig = 1 << 20;        // a response a leaving client never finishes

std::string pattern(std::size_t size, std::uint64_t seed) {
  std::string s(size, 'a');
  for (std::size_t i = 0; i < size; ++i)
    s[i] = static_cast<char>('a' + (i * 7 + i / 13 + seed) % 26);
  return s;
}

// The body of request n: mostly small, now and then tens of KiB.
std::string body_for(std::uint64_t n) {
  return pattern(n % 3000 + (n % 7 == 0 ? 40'000 : 0), n);
}

// "/good/17" -> 17 (the last path segment as a number, 0 if none).
std::uint64_t id_of(const std::string& target) {
  const std::size_t slash = target.rfind('/');
  try {
    return std::stoull(target.substr(slash + 1));
  } catch (const std::exception&) {
    return 0;
  }
}

std::string target_of(const UpstreamRequest& r) {
  const std::string line = r.request_line();
  const std::size_t space = line.find(' ');
  return line.substr(space + 1, line.rfind(' ') - space - 1);
}

// What an upstream answers a request that went well: the target (so a response given to the wrong
// request shows), then the GET's body or the POST's own body back.
std::string answer_body(const std::string& target, const UpstreamRequest& r) {
  const bool post = r.request_line().rfind("POST", 0) == 0;
  return target + "\n" + (post ? r.body : body_for(id_of(target)));
}

UpstreamReply good_upstream(const UpstreamRequest& r) {
  const std::string target = target_of(r);
  if (target == "/good/big") return ok(pattern(kBig, 1));
  return ok(answer_body(target, r));
}

// "/chaos/<kind>/<id>". Decisions hash the connection, the position on it and the id: the same
// run of requests misbehaves the same way.
UpstreamReply chaos_upstream(const UpstreamRequest& r) {
  const std::string target = target_of(r);
  const std::uint64_t roll =
      (static_cast<std::uint64_t>(r.connection) * 7919 + r.index * 104729 + id_of(target)) % 12;
  if (target.rfind("/chaos/ok/", 0) == 0) {
    // The keep-alive race both ways: a reused connection closed instead of answering, and an
    // answer followed by a close the response did not announce (the pooled connection dies idle).
    if (r.index >= 1 && roll < 2) return UpstreamReply{"", {}, /*close=*/true};
    return UpstreamReply{ok(answer_body(target, r)).bytes, {}, /*close=*/roll >= 9};
  }
  if (target.rfind("/chaos/slow/", 0) == 0) {
    return UpstreamReply{ok(answer_body(target, r)).bytes, milliseconds(400)};
  }
  if (target.rfind("/chaos/reset/", 0) == 0) {
    // Within the head (502), or after 3000 of 10000 body bytes (the client's connection is cut).
    const std::string sent =
        roll % 2 == 0 ? "HTTP/1.1 200 OK\r\nContent-Le"
                      : "HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n" + std::string(3000, 'r');
    return UpstreamReply{sent, {}, false, /*reset=*/true};
  }
  if (target.rfind("/chaos/badframe/", 0) == 0) {
    static const char* const kBad[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
        "chunked\r\n\r\n5\r\nhello\r\nzz\r\nmore\r\n0\r\n\r\n",
        "HTTP/1.1 2000 Fine\r\nContent-Length: 2\r\n\r\nok"};
    return {kBad[roll % 4]};
  }
  if (target.rfind("/chaos/big/", 0) == 0) return ok(pattern(kBig, 2));
  return {"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"};
}

std::string post(const std::string& target, const std::string& body, bool chunk) {
  if (chunk) {
    return "POST " + target + " HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
           chunked(body, 1000);
  }
  return "POST " + target +
         " HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         body;
}

// Failures seen by the threads, with the first few described.
class Failures {
 public:
  void add(const std::string& what) {
    std::lock_guard lock(mutex_);
    if (++count_ <= 5) first_ += what.substr(0, 300) + "\n";
  }
  int count() const {
    std::lock_guard lock(mutex_);
    return count_;
  }
  std::string first() const {
    std::lock_guard lock(mutex_);
    return first_;
  }

 private:
  mutable std::mutex mutex_;
  int count_ = 0;
  std::string first_;
};

// One request on a keep-alive connection, reconnecting when the last one closed.
std::optional<HttpResponse> exchange(std::unique_ptr<RawClient>& client, std::uint16_t port,
                                     const std::string& bytes) {
  std::optional<HttpResponse> r;
  try {
    if (client == nullptr) client = std::make_unique<RawClient>(port);
    if (client->send(bytes)) r = client->read_response(10s);
  } catch (const std::exception&) {  // cannot connect
  }
  if (!r || r->closes() || (client != nullptr && client->peer_closed())) client.reset();
  return r;
}

std::string describe(const std::string& target, const std::optional<HttpResponse>& r) {
  if (!r) return target + ": no response";
  return target + ": " + std::to_string(r->status) + " " + r->body.substr(0, 80);
}

// Requests n, n + step, ... through the well-behaved upstream: GET, POST, chunked POST in turn;
// each must be a 200 with its exact body.
void good_client(std::uint16_t port, int count, std::uint64_t first, std::uint64_t step,
                 const Clock::time_point stop_at, Failures& failures, std::atomic<int>& served) {
  std::unique_ptr<RawClient> client;
  for (int i = 0; i < count && Clock::now() < stop_at; ++i) {
    const std::uint64_t n = first + static_cast<std::uint64_t>(i) * step;
    const std::string target = "/good/" + std::to_string(n);
    const std::string body = body_for(n + 1);
    std::string request = get(target);
    std::string expected = target + "\n" + body_for(n);
    if (n % 3 != 0) {
      request = post(target, body, n % 3 == 2);
      expected = target + "\n" + body;
    }
    auto r = exchange(client, port, request);
    if (r && r->status == 200 && r->body == expected) {
      ++served;
    } else {
      failures.add(describe(target, r));
    }
  }
}

// Random misbehaviour through the chaos upstream; each outcome must be one the kind allows.
void chaos_client(std::uint16_t port, unsigned seed, const Clock::time_point stop_at,
                  Failures& failures, std::atomic<int>& outcomes) {
  std::mt19937 random(seed);
  std::unique_ptr<RawClient> client;
  for (int i = 0; i < kChaosRequests && Clock::now() < stop_at; ++i) {
    const std::uint64_t n = seed * 100'000ull + static_cast<std::uint64_t>(i);
    const unsigned pick = random() % 20;
    const char* kind = pick < 10   ? "ok"
                       : pick < 12 ? "slow"
                       : pick < 15 ? "reset"
                       : pick < 18 ? "badframe"
                                   : "okpost";
    const std::string target =
        std::string("/chaos/") + (pick >= 18 ? "ok" : kind) + "/" + std::to_string(n);
    const std::string body = body_for(n + 1);
    auto r = exchange(client, port, pick >= 18 ? post(target, body, pick == 19) : get(target));
    const std::string kind_name = kind;
    bool allowed;
    if (kind_name == "ok") {
      allowed = r && r->status == 200 && r->body == target + "\n" + body_for(n);
    } else if (kind_name == "okpost") {
      // A POST that met the race is not replayed: 502 is allowed, a wrong 200 is not.
      allowed = r && ((r->status == 200 && r->body == target + "\n" + body) || r->status == 502);
    } else if (kind_name == "slow") {
      allowed = r && r->status == 504;
    } else {
      // Before the head: 502. After it: the connection is cut, never a complete-looking 200.
      allowed = !r || r->status == 502;
    }
    if (!allowed) failures.add(kind_name + " " + describe(target, r));
    ++outcomes;
  }
}

// Clients that leave: half a request body then a close or a reset; or a large response, a few
// bytes of it read, then a close or a reset. On both upstreams.
void leavers(std::uint16_t port, const Clock::time_point stop_at) {
  for (int i = 0; i < kLeavers && Clock::now() < stop_at; ++i) {
    try {
      RawClient client(port);
      const std::string where = i % 4 < 2 ? "/good/" : "/chaos/ok/";
      if (i % 2 == 0) {
        client.send("POST " + where + std::to_string(i) +
                    " HTTP/1.1\r\nHost: t\r\nContent-Length: 50000\r\n\r\n" +
                    std::string(static_cast<std::size_t>(i % 5) * 5000 + 1, 'h'));
      } else {
        client.send(get(i % 4 < 2 ? "/good/big" : "/chaos/big/" + std::to_string(i)));
        client.read_some(2s);
      }
      if (i % 3 == 0) {
        linger abort{1, 0};
        ::setsockopt(client.fd(), SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
      }
    } catch (const std::exception&) {  // cannot connect: the good client notices
    }
  }
}

// The value of one series ("name{labels}") in a scrape, or nullopt.
std::optional<double> scraped(std::uint16_t metrics_port, const std::string& series) {
  auto scrape = fetch(metrics_port, get("/metrics"));
  if (!scrape || scrape->status != 200) return std::nullopt;
  const std::size_t at = scrape->body.find("\n" + series + " ");
  if (at == std::string::npos) return std::nullopt;
  return std::stod(scrape->body.substr(at + series.size() + 2));
}

std::uint16_t metrics_port(DaemonProcess& daemon) {
  if (!daemon.wait_output("metrics on http://")) return 0;
  const std::string out = daemon.output();
  const std::size_t at = out.find("metrics on http://");
  const std::size_t colon = out.find(':', at + 18);
  return static_cast<std::uint16_t>(std::stoi(out.substr(colon + 1)));
}

// One worker; the chaos upstream with a short read timeout and a small, short-lived pool, two
// hosts (the same scripted upstream twice) so failed tries move on after a backoff or a per-try
// timeout, outlier detection that ejects and readmits them all the time (panic mode keeps both in
// use when both are out), and stale answers kept for its GETs.
std::string stress_config(std::uint16_t good, std::uint16_t chaos) {
  std::string config = R"({
    "listen": ["127.0.0.1:0"],
    "threads": 1,
    "timeouts": {"header_ms": 2000, "body_ms": 2000, "idle_ms": 5000, "write_ms": 2000,
                 "linger_ms": 200},
    "upstreams": {
      "good": {"servers": [{"address": "127.0.0.1:GOOD"}]},
      "chaos": {"servers": [{"address": "127.0.0.1:CHAOS"}, {"address": "127.0.0.1:CHAOS"}],
                "timeouts": {"connect_ms": 1000, "read_ms": 150, "send_ms": 1000},
                "keepalive": {"idle_per_host": 8, "idle_timeout_ms": 1000},
                "retry": {"per_try_timeout_ms": 100, "backoff_base_ms": 10, "backoff_max_ms": 40},
                "outlier_detection": {"consecutive_5xx": 3, "consecutive_gateway_failures": 3,
                                      "failure_percent": 30, "failure_percent_min_requests": 5,
                                      "interval_ms": 300, "base_ejection_ms": 200}}
    },
    "routes": [
      {"path": "/good/*rest", "method": "*", "handler": {"type": "proxy", "upstream": "good"}},
      {"path": "/chaos/*rest", "method": "*", "handler": {"type": "proxy", "upstream": "chaos",
                                                          "stale_if_error": {"max_entries": 64}}}
    ]
  })";
  config.replace(config.find("GOOD"), 4, std::to_string(good));
  for (std::size_t at; (at = config.find("CHAOS")) != std::string::npos;) config.replace(at, 5, std::to_string(chaos));
  return config;
}

TEST(ProxyStress, OneWorkerProxiesThroughMisbehavingUpstreamsAndClientsAndLeaksNoConnection) {
  ScriptedUpstream good(good_upstream);
  ScriptedUpstream chaos(chaos_upstream);
  TempDir dir;
  const std::string config = dir.write("surge.json", stress_config(good.port(), chaos.port()));
  DaemonProcess daemon({"--config", config});
  const std::optional<std::uint16_t> port = daemon.wait_listening();
  ASSERT_TRUE(port) << daemon.output();
  const std::uint16_t metrics = metrics_port(daemon);
  ASSERT_NE(metrics, 0) << daemon.output();

  const auto stop_at = Clock::now() + kSafetyStop;
  Failures good_failures;
  Failures chaos_failures;
  std::atomic<int> good_served{0};
  std::atomic<int> load_served{0};
  std::atomic<int> chaos_outcomes{0};
  std::vector<std::thread> others;
  for (int c = 0; c < kLoadClients; ++c) {
    others.emplace_back(good_client, *port, kLoadRequests, 1'000'000u * (c + 1), 1, stop_at,
                        std::ref(good_failures), std::ref(load_served));
  }
  for (int c = 0; c < kChaosClients; ++c) {
    others.emplace_back(chaos_client, *port, 11u + c, stop_at, std::ref(chaos_failures),
                        std::ref(chaos_outcomes));
  }
  others.emplace_back(leavers, *port, stop_at);
  // Reloads of the same file meanwhile: every cluster is replaced, and the old pools drain under
  // the load (UpstreamPools::tick).
  others.emplace_back([&daemon, stop_at] {
    for (int i = 0; i < kReloads && Clock::now() < stop_at; ++i) {
      std::this_thread::sleep_for(milliseconds(400));
      daemon.signal(SIGHUP);
    }
  });
  // The watched client: one keep-alive connection, a request every few milliseconds.
  good_client(*port, kGoodRequests, 1, 1, stop_at, good_failures, good_served);
  for (std::thread& t : others)
    t.join();

  EXPECT_EQ(good_failures.count(), 0) << "first failures:\n" << good_failures.first();
  EXPECT_EQ(good_served.load(), kGoodRequests);
  EXPECT_EQ(load_served.load(), kLoadClients * kLoadRequests);
  EXPECT_EQ(chaos_failures.count(), 0) << "first failures:\n" << chaos_failures.first();
  EXPECT_EQ(chaos_outcomes.load(), kChaosClients * kChaosRequests);

  // Still serving, and every upstream connection given back or closed.
  auto after = fetch(*port, get("/good/7"));
  ASSERT_TRUE(after) << daemon.output();
  EXPECT_EQ(after->status, 200);
  EXPECT_EQ(after->body, "/good/7\n" + body_for(7));
  const std::string active = R"(surge_upstream_connections{state="active"})";
  std::optional<double> lent;
  for (const auto deadline = Clock::now() + 10s; Clock::now() < deadline;
       std::this_thread::sleep_for(20ms)) {
    if ((lent = scraped(metrics, active)) == 0.0) break;
  }
  EXPECT_EQ(lent, 0.0) << "upstream connections still lent after the clients left";
  const std::string errors = R"(surge_upstream_errors_total{reason=")";
  for (const char* reason : {"timeout", "reset", "bad_response"}) {
    EXPECT_GT(scraped(metrics, errors + reason + "\"}").value_or(0), 0)
        << reason << ": the misbehaviour did not happen";
  }
  EXPECT_GT(scraped(metrics, "surge_upstream_retries_total").value_or(0), 0)
      << "the keep-alive race did not happen";
  if (auto scrape = fetch(metrics, get("/metrics"))) {  // what happened, for the log
    const std::string& text = scrape->body;
    for (std::size_t at = 0; (at = text.find("\nsurge_upstream_", at)) != std::string::npos; ++at) {
      const std::string line = text.substr(at + 1, text.find('\n', at + 1) - at - 1);
      if (line.find("host=\"") == std::string::npos) std::cout << line << "\n";
    }
  }

  EXPECT_TRUE(daemon.wait_output("configuration reloaded")) << daemon.output();
  EXPECT_EQ(daemon.output().find("reload failed"), std::string::npos) << daemon.output();
  EXPECT_FALSE(daemon.wait_exit(milliseconds(0))) << "surged died:\n" << daemon.output();
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait_exit(30s), 0) << daemon.output();
  EXPECT_EQ(daemon.output().find("AddressSanitizer"), std::string::npos) << daemon.output();
  EXPECT_EQ(daemon.output().find("runtime error"), std::string::npos) << daemon.output();
}

}  // namespace
}  // namespace surge::test
