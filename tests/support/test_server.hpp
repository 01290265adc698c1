#pragma once
// TestServer: a real surge::Server on an ephemeral loopback port, stopped when the test ends.

#include <memory>

#include <surge/router.hpp>
#include <surge/server.hpp>

namespace surge::test {

/// A config for tests: 127.0.0.1:0, one worker, log level off, everything else default.
ServerConfig test_config();

/// The handler most engine tests use:
///   /plaintext          "Hello, World!"
///   /echo               the request body
///   /path/...           the request path (to tell pipelined responses apart)
///   /big?n=N            N bytes of 'x'
///   /throw              throws std::runtime_error
///   /close              answers and asks the engine to close
///   /header?name=X      the value of request header X
///   anything else       404
Handler test_handler();

class TestServer {
 public:
  explicit TestServer(ServerConfig config = test_config(), Handler handler = test_handler());
  TestServer(ServerConfig config, const Router& router);
  ~TestServer();
  std::uint16_t port() const { return server_->port(); }
  Server& server() { return *server_; }

 private:
  std::unique_ptr<Server> server_;
};

}  // namespace surge::test
