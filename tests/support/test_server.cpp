#include "support/test_server.hpp"

#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <stdexcept>
#include <string>

namespace surge::test {

ServerConfig test_config() {
  ServerConfig config;
  config.listen = {"127.0.0.1:0"};
  config.threads = 1;
  return config;
}

Handler test_handler() {
  return [](Context& ctx) {
    const Request& req = ctx.request();
    std::string_view path = req.path();
    if (path == "/plaintext") {
      ctx.text(200, "Hello, World!");
    } else if (path == "/echo") {
      ctx.text(200, req.body());
    } else if (path.substr(0, 6) == "/path/") {
      ctx.text(200, path);
    } else if (path == "/big") {
      std::string_view q = req.query();
      std::size_t n = q.substr(0, 2) == "n=" ? std::stoul(std::string(q.substr(2))) : 0;
      ctx.text(200, std::string(n, 'x'));
    } else if (path == "/throw") {
      throw std::runtime_error("handler failure for the test");
    } else if (path == "/close") {
      ctx.text(200, "bye");
      ctx.response().close_connection();
    } else if (path == "/header") {
      std::string_view q = req.query();
      auto value = req.header(q.substr(0, 5) == "name=" ? q.substr(5) : q);
      ctx.text(value ? 200 : 404, value.value_or("absent"));
    } else {
      ctx.text(404, "not found\n");
    }
  };
}

namespace {

// Tests read the responses, not the log: keep the output clean but exercise the log calls.
std::shared_ptr<spdlog::logger> test_log() {
  auto log = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  log->set_level(spdlog::level::err);
  return log;
}

}  // namespace

TestServer::TestServer(ServerConfig config, Handler handler) {
  server_ = std::make_unique<Server>(std::move(config), std::move(handler), test_log());
  server_->start();
}

TestServer::TestServer(ServerConfig config, const Router& router) {
  server_ = std::make_unique<Server>(std::move(config), router, test_log());
  server_->start();
}

TestServer::~TestServer() {
  server_->stop();
  server_->wait();
}

}  // namespace surge::test
