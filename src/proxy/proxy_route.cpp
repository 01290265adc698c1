#include "proxy/proxy_route.hpp"

#include <surge/context.hpp>
#include <surge/stream.hpp>

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
    const Suspension suspension = ctx.suspend();
    if (!suspension.active()) {
      call->discard();
      ctx.text(500, "the proxied request cannot wait for its upstream\n");
      return;
    }
    call->begin();
  };
}

}  // namespace surge::detail
