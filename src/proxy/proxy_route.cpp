#include "proxy/proxy_route.hpp"

#include <surge/context.hpp>

#include "http/response_state.hpp"
#include "proxy/proxy_call.hpp"
#include "server/worker.hpp"

namespace surge::detail {

StaleCache& stale_cache(const ProxyRoute& route, ClusterPool& pool) {
  return pool.route_local<StaleCache>(&route, [&] { return std::make_unique<StaleCache>(route.stale_if_error); });
}

namespace {

bool answer_stale(Exchange& exchange, const ProxyRoute& route, ClusterPool& pool) {
  if (!route.stale_if_error.enabled || exchange.head().method != Method::kGet) return false;
  const Clock::time_point now = pool.poller().now();
  const StaleCache::Entry* kept = stale_cache(route, pool).find(
      stale_key(exchange.view(exchange.head().host), exchange.view(exchange.head().target)), now);
  if (kept == nullptr) return false;
  ResponseState& response = exchange.response();
  response.set_status(kept->status);
  for (const auto& [name, value] : kept->headers) response.append_header(name, value);
  char age[24];
  const int n = std::snprintf(age, sizeof(age), "%lld",
                              static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(now - kept->stored).count()));
  response.append_header("Age", std::string_view(age, static_cast<std::size_t>(n)));
  response.body().append(kept->body);
  pool.stats().stale_served.add();
  return true;
}

}  // namespace

void answer_without_upstream(Exchange& exchange, const ProxyRoute& route, ClusterPool& pool, int status,
                             std::string_view reason, int retry_after_s) {
  ResponseState& response = exchange.response();
  response.clear();
  if (answer_stale(exchange, route, pool)) {
    // RFC 5861: the kept answer instead of the error.
  } else if (route.fallback) {
    pool.stats().fallbacks.add();
    response.set_status(route.fallback->status);
    response.set_content_type(route.fallback->content_type);
    for (const auto& [name, value] : route.fallback->headers) response.append_header(name, value);
    response.body().append(route.fallback->body);
  } else {
    response.set_status(status);
    response.set_content_type("text/plain; charset=utf-8");
    if (retry_after_s > 0) {
      char seconds[12];
      const int n = std::snprintf(seconds, sizeof(seconds), "%d", retry_after_s);
      response.append_header("Retry-After", std::string_view(seconds, static_cast<std::size_t>(n)));
    }
    response.body().append(reason);
    response.body().append("\n");
  }
  response.mark_answered();
}

Handler make_proxy_handler(std::shared_ptr<const ProxyRoute> route) {
  return [route = std::move(route)](Context& ctx) {
    Exchange& exchange = exchange_of(ctx);
    Worker* worker = exchange.worker();
    if (worker == nullptr) {
      ctx.text(500, "a proxy route needs a server worker\n");
      return;
    }
    ClusterPool& pool = worker->upstreams().pool(route->upstream);
    int status = 502;
    std::string_view reason;
    ProxyCall* call = ProxyCall::create(exchange, *route, pool, worker->log(), status, reason);
    if (call == nullptr) {
      answer_without_upstream(exchange, *route, pool, status, reason, status == 503 ? 1 : 0);
      return;
    }
    // The answer is pending without the engine's handler deadline: the upstream's own timeouts
    // (connect, send, and read between reads, as nginx's proxy_*_timeout) bound a proxied
    // request, so a long upload or a slow stream is not cut while bytes move. A route's own
    // timeout_ms still sets a total deadline.
    const std::chrono::milliseconds total = exchange.route().handler_timeout;
    std::uint32_t generation = 0;
    if (!worker->suspend(exchange, total.count() > 0 ? Clock::duration(total) : Clock::duration::max(), generation)) {
      call->discard();
      ctx.text(500, "the proxied request cannot wait for its upstream\n");
      return;
    }
    call->begin();
  };
}

}  // namespace surge::detail
