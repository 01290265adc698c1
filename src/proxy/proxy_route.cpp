#include "proxy/proxy_route.hpp"

#include <surge/context.hpp>

#include "proxy/proxy_call.hpp"
#include "server/worker.hpp"

namespace surge::detail {

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
      char body[128];
      const int n = std::snprintf(body, sizeof(body), "%.*s\n", static_cast<int>(reason.size()), reason.data());
      ctx.text(status, std::string_view(body, static_cast<std::size_t>(n)));
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
