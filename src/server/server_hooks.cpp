#include "server/server_hooks.hpp"

#include "http/application.hpp"
#include "server/request_observer.hpp"
#include "server/server_metrics.hpp"
#include "server/worker_pool.hpp"

namespace surge::detail {

std::unique_ptr<Server> ServerHooks::make(ServerConfig config,
                                          std::shared_ptr<const Application> app,
                                          std::shared_ptr<spdlog::logger> log,
                                          std::vector<std::shared_ptr<RequestObserver>> observers) {
  return std::unique_ptr<Server>(new Server(std::make_unique<WorkerPool>(
      std::move(config), std::move(app), std::move(log), std::move(observers))));
}

void ServerHooks::collect_metrics(const Server& server, MetricSink& sink) {
  collect_server_metrics(*server.pool_, sink);
  server.pool_->app()->collect_metrics(sink);
}

void ServerHooks::reload(Server& server, std::shared_ptr<const Application> app,
                         std::vector<std::shared_ptr<RequestObserver>> observers,
                         const std::vector<std::string>& listen) {
  server.pool_->update_listeners(listen);
  server.pool_->swap_app(std::move(app), std::move(observers));
}

}  // namespace surge::detail
