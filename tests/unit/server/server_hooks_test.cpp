#include "server/server_hooks.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "http/application.hpp"
#include "http/exchange.hpp"
#include "metrics/metric_sink.hpp"
#include "server/request_observer.hpp"
#include "support/raw_client.hpp"

namespace surge::detail {
namespace {

// Answers every request with its own text, and has one metric of its own.
class TextApp final : public Application {
 public:
  explicit TextApp(std::string text) : text_(std::move(text)) {}
  RequestError on_header(Exchange&) const override { return RequestError::kNone; }
  void handle(Exchange& exchange) const override { exchange.context().text(200, text_); }
  void collect_metrics(MetricSink& sink) const override {
    sink.counter("test_app_" + text_, "The application's own metric.", {}, 1);
  }

 private:
  std::string text_;
};

// The names of the metrics it was given.
class NameSink final : public MetricSink {
 public:
  void counter(std::string_view name, std::string_view, std::initializer_list<MetricLabel>,
               double) override {
    names.emplace(name);
  }
  void gauge(std::string_view name, std::string_view, std::initializer_list<MetricLabel>,
             double) override {
    names.emplace(name);
  }
  void histogram(std::string_view name, std::string_view, std::initializer_list<MetricLabel>,
                 std::span<const double>, std::span<const std::uint64_t>, double) override {
    names.emplace(name);
  }
  std::set<std::string, std::less<>> names;
};

class CountingObserver final : public RequestObserver {
 public:
  void on_request(const CompletedRequest&) override { seen.fetch_add(1); }
  std::atomic<int> seen{0};
};

ServerConfig loopback() {
  ServerConfig config;
  config.listen = {"127.0.0.1:0"};
  config.threads = 1;
  return config;
}

std::string get(std::uint16_t port) {
  test::RawClient client(port);
  client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  auto response = client.read_response();
  return response ? response->body : "<no response>";
}

// A server from ServerHooks::make on 127.0.0.1:0, started, and stopped when the test ends.
struct Started {
  explicit Started(std::shared_ptr<const Application> app,
                   std::vector<std::shared_ptr<RequestObserver>> observers = {})
      : server(ServerHooks::make(loopback(), std::move(app), nullptr, std::move(observers))) {
    server->start();
  }
  ~Started() {
    server->stop();
    server->wait();
  }
  std::unique_ptr<Server> server;
};

TEST(ServerHooks, ServesAPreparedApplicationAndTellsItsObservers) {
  auto observer = std::make_shared<CountingObserver>();
  Started started(std::make_shared<TextApp>("one"), {observer});
  EXPECT_EQ(get(started.server->port()), "one");
  EXPECT_EQ(observer->seen.load(), 1);
}

TEST(ServerHooks, CollectsTheEngineMetricsAndTheApplicationsOwn) {
  Started started(std::make_shared<TextApp>("one"));
  NameSink sink;
  ServerHooks::collect_metrics(*started.server, sink);
  EXPECT_TRUE(sink.names.contains("surge_connections_open"));
  EXPECT_TRUE(sink.names.contains("test_app_one"));
}

TEST(ServerHooks, ReloadSwapsTheApplicationForNewRequests) {
  Started started(std::make_shared<TextApp>("one"));
  Server& server = *started.server;
  ASSERT_EQ(get(server.port()), "one");
  ServerHooks::reload(server, std::make_shared<TextApp>("two"), {}, loopback().listen);
  // The worker takes the new application at its next turn: a request soon sees it, and from
  // then on every one does.
  std::string body;
  for (int i = 0; i < 100 && body != "two"; ++i) body = get(server.port());
  EXPECT_EQ(body, "two");
  EXPECT_EQ(get(server.port()), "two");
  EXPECT_EQ(server.local_addresses().size(), 1u);
  NameSink sink;
  ServerHooks::collect_metrics(server, sink);
  EXPECT_TRUE(sink.names.contains("test_app_two"));
  EXPECT_FALSE(sink.names.contains("test_app_one"));
}

}  // namespace
}  // namespace surge::detail
