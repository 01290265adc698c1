// The time of one Prometheus scrape of a large surged: collection from every source and the text
// serialisation, as the exporter thread does it (PrometheusCollector::serialize()). RequestMetrics
// holds 100 routes x 8 workers, every route having answered on every worker with several methods
// and status codes, so every series and every histogram bucket row is populated. The engine and
// middleware sources are a real started Server (8 idle workers, the daemon's middleware) whose
// counters are read, not a stand-in.

#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <surge/builtin_middleware.hpp>
#include <surge/config.hpp>
#include <surge/router.hpp>
#include <surge/server.hpp>
#include <surge/traffic_protection.hpp>

#include "daemon/daemon_metrics.hpp"
#include "http/exchange.hpp"
#include "metrics/process_metrics.hpp"
#include "metrics/prometheus_collector.hpp"
#include "metrics/request_metrics.hpp"
#include "server/server_hooks.hpp"

namespace surge::detail {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kRoutes = 100;
constexpr std::size_t kWorkers = 8;

std::string route_pattern(std::size_t i) { return "/api/v1/resource" + std::to_string(i) + "/:id"; }

// A parsed request, as the engine hands it to observers.
class ParsedRequest {
 public:
  explicit ParsedRequest(std::string raw) : raw_(std::move(raw)), exchange_(limits_, nullptr) {
    exchange_.begin(&peer_, nullptr, 0);
    boost::system::error_code ec;
    std::size_t pos = 0;
    while (!exchange_.parser().done() && !ec) pos += exchange_.parser().parse(raw_.data(), pos, raw_.size(), ec);
    if (ec) throw std::runtime_error("bad request in benchmark: " + ec.message());
    exchange_.set_base(raw_.data());
  }
  Exchange& exchange() { return exchange_; }

 private:
  ParserLimits limits_;
  std::string raw_;
  PeerAddress peer_;
  Exchange exchange_;
};

// Every route on every worker: GET 200/304/404/500/503 and POST 201/400/422, with latencies
// and sizes spread over the buckets; plus unmatched 404s and refusals before the method was read.
std::shared_ptr<RequestMetrics> populated_request_metrics() {
  std::vector<std::string> labels;
  for (std::size_t r = 0; r < kRoutes; ++r) labels.push_back(route_pattern(r));
  auto metrics = std::make_shared<RequestMetrics>(HttpMetricsConfig{}, labels, kWorkers);
  ParsedRequest get("GET /x HTTP/1.1\r\nHost: b\r\n\r\n");
  ParsedRequest post("POST /x HTTP/1.1\r\nHost: b\r\nContent-Length: 0\r\n\r\n");
  struct Kind {
    ParsedRequest* request;
    int status;
  };
  const Kind kinds[] = {{&get, 200}, {&get, 304}, {&get, 404}, {&get, 500},
                        {&get, 503}, {&post, 201}, {&post, 400}, {&post, 422}};
  const Clock::time_point start{};
  std::uint64_t n = 0;
  for (std::size_t w = 0; w < kWorkers; ++w) {
    for (std::uint32_t r = 0; r < kRoutes; ++r) {
      for (const Kind& k : kinds) {
        k.request->exchange().route().index = static_cast<std::uint32_t>(r);
        for (int i = 0; i < 20; ++i, ++n) {
          const auto latency = std::chrono::microseconds(100 << (n % 16));  // 100 us .. 3.3 s
          metrics->on_request({k.request->exchange(), w, k.status, 64u << (n % 18), 200u << (n % 10), start,
                               start + latency, RequestError::kNone});
        }
      }
    }
    get.exchange().route().index = RouteMatch::kNoRoute;
    metrics->on_request({get.exchange(), w, 404, 120, 80, start, start + 50us, RequestError::kNone});
    ParserLimits limits;
    Exchange unparsed(limits, nullptr);
    unparsed.begin(nullptr, nullptr, w);
    metrics->on_request({unparsed, w, 400, 120, 8, start, start + 10us, RequestError::kBadMethod});
  }
  return metrics;
}

// The daemon's middleware on a router of kRoutes routes: recover, request ids, CORS, a global rate
// limit and load shedding; per route one of 4 rate limits and one of 4 breakers.
Router make_router() {
  Router router;
  router.use(make_recover(nullptr));
  router.use(make_request_id());
  CorsConfig cors;
  cors.allowed_origins = {"https://app.example"};
  router.use(make_cors(cors));
  RateLimitConfig global;
  global.name = "per_ip";
  router.use(make_rate_limit(global));
  router.use(make_load_shedder(LoadShedConfig{}));
  std::vector<MiddlewarePtr> limits, breakers;
  for (int i = 0; i < 4; ++i) {
    RateLimitConfig limit;
    limit.name = "limit" + std::to_string(i);
    limits.push_back(make_rate_limit(limit));
    CircuitBreakerConfig breaker;
    breaker.name = "backend" + std::to_string(i);
    breakers.push_back(make_circuit_breaker(breaker));
  }
  for (std::size_t r = 0; r < kRoutes; ++r) {
    RouteOptions options;
    options.middleware = {limits[r % 4], breakers[r % 4]};
    router.get(route_pattern(r), [](Context& ctx) { ctx.text(200, "ok"); }, options);
  }
  return router;
}

struct Scrape {
  std::shared_ptr<RequestMetrics> requests = populated_request_metrics();
  std::unique_ptr<Server> server;
  ProcessMetrics process;
  DaemonMetrics daemon;
  PrometheusCollector all;            // what surged's exporter serves
  PrometheusCollector request_only;   // http_* alone

  Scrape() {
    ServerConfig config;
    config.listen = {"127.0.0.1:0"};
    config.threads = kWorkers;
    server = std::make_unique<Server>(config, make_router());
    server->start();
    daemon.loaded();
    all.add_source([this](MetricSink& sink) { ServerHooks::collect_metrics(*server, sink); });
    all.add_source([this](MetricSink& sink) { process.collect(sink); });
    all.add_source([this](MetricSink& sink) { daemon.collect(sink); });
    all.add_source([this](MetricSink& sink) { requests->collect(sink); });
    request_only.add_source([this](MetricSink& sink) { requests->collect(sink); });
  }
  ~Scrape() {
    server->stop();
    server->wait();
  }
};

Scrape& scrape() {
  static Scrape s;
  return s;
}

double sample_lines(const std::string& text) {
  double n = 0;
  for (std::size_t i = 0; i < text.size(); i = text.find('\n', i) + 1) {
    if (text[i] != '#') ++n;
    if (text.find('\n', i) == std::string::npos) break;
  }
  return n;
}

void report(benchmark::State& state, const std::string& text) {
  state.counters["bytes"] = static_cast<double>(text.size());
  state.counters["samples"] = sample_lines(text);
}

// Collects and serialises collector's sources once per iteration.
void serialize_each_iteration(benchmark::State& state, const PrometheusCollector& collector) {
  std::string text;
  for (auto _ : state) {
    text = collector.serialize();
    benchmark::DoNotOptimize(text.data());
  }
  report(state, text);
}

// One full scrape: every source collected and serialised.
void BM_ScrapeSerialize(benchmark::State& state) { serialize_each_iteration(state, scrape().all); }
BENCHMARK(BM_ScrapeSerialize)->Unit(benchmark::kMicrosecond)->Repetitions(9)->ReportAggregatesOnly(true);

// The same without the text: the sources summing their shards into families.
void BM_ScrapeCollectOnly(benchmark::State& state) {
  const PrometheusCollector& collector = scrape().all;
  for (auto _ : state) benchmark::DoNotOptimize(collector.Collect());
}
BENCHMARK(BM_ScrapeCollectOnly)->Unit(benchmark::kMicrosecond)->Repetitions(9)->ReportAggregatesOnly(true);

// http_* alone (RequestMetrics, 100 routes x 8 workers), collected and serialised.
void BM_ScrapeRequestMetricsOnly(benchmark::State& state) {
  serialize_each_iteration(state, scrape().request_only);
}
BENCHMARK(BM_ScrapeRequestMetricsOnly)->Unit(benchmark::kMicrosecond)->Repetitions(9)->ReportAggregatesOnly(true);

}  // namespace
}  // namespace surge::detail
BENCHMARK_MAIN();
