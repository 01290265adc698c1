#include <surge/server.hpp>

#include "http/application.hpp"
#include "http/exchange.hpp"
#include "router/router_app.hpp"
#include "server/worker_pool.hpp"

namespace surge {
namespace {

// One handler for every request: the simplest application. A method surge does not implement
// is 501 here, as on a router path without a route for Method::kOther: a handler written for
// GET and POST should not have to know that PROPFIND exists.
class HandlerApplication final : public detail::Application {
 public:
  explicit HandlerApplication(Handler handler) : handler_(std::move(handler)) {}
  detail::RequestError on_header(detail::Exchange& exchange) const override {
    return exchange.head().method == Method::kOther ? detail::RequestError::kMethodNotImplemented
                                                    : detail::RequestError::kNone;
  }
  void handle(detail::Exchange& exchange) const override { handler_(exchange.context()); }

 private:
  Handler handler_;
};

}  // namespace

Server::Server(ServerConfig config, const Router& router, std::shared_ptr<spdlog::logger> log)
    : Server(std::make_unique<detail::WorkerPool>(std::move(config), detail::freeze(router),
                                                  std::move(log))) {}

Server::Server(ServerConfig config, Handler handler, std::shared_ptr<spdlog::logger> log)
    : Server(std::make_unique<detail::WorkerPool>(
          std::move(config), std::make_shared<HandlerApplication>(std::move(handler)),
          std::move(log))) {}

Server::Server(std::unique_ptr<detail::WorkerPool> pool) : pool_(std::move(pool)) {}

Server::~Server() = default;

void Server::start() { pool_->start(); }
void Server::wait() { pool_->wait(); }
void Server::shutdown() { pool_->shutdown(); }
void Server::stop() { pool_->stop(); }
bool Server::draining() const { return pool_->draining(); }
const ServerConfig& Server::config() const { return pool_->config(); }
std::size_t Server::workers() const { return pool_->size(); }
bool Server::workers_alive(std::chrono::milliseconds max_age) const {
  return pool_->all_alive(max_age);
}

std::vector<std::string> Server::local_addresses() const {
  std::vector<std::string> out;
  for (const auto& endpoint : pool_->local_endpoints()) {
    std::string host = endpoint.address().to_string();
    if (endpoint.address().is_v6()) host = "[" + host + "]";
    out.push_back(host + ":" + std::to_string(endpoint.port()));
  }
  return out;
}

std::uint16_t Server::port() const {
  const auto& endpoints = pool_->local_endpoints();
  return endpoints.empty() ? 0 : endpoints.front().port();
}

}  // namespace surge
