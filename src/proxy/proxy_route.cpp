#include "proxy/proxy_route.hpp"

#include <surge/context.hpp>

#include "http/response_state.hpp"
#include "proxy/proxy_call.hpp"
#include "server/worker.hpp"

namespace surge::detail {

void answer_without_upstream(ResponseState& response, const ProxyRoute& route, UpstreamStats& stats, int status,
                             std::string_view reason, int retry_after_s) {
  response.clear();
  if (route.fallback) {
    stats.fallbacks.add();
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
      answer_without_upstream(exchange.response(), *route, pool.stats(), status, reason, status == 503 ? 1 : 0);
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
