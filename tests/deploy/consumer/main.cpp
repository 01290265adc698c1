// Serves one route from the installed library on 127.0.0.1:0, then drains and stops: proves that
// the installed headers compile alone and the exported static libraries link and run.
#include <surge/router.hpp>
#include <surge/server.hpp>

#include <iostream>

int main() {
  surge::Router router;
  router.get("/hello", [](surge::Context& ctx) { ctx.text(200, "hello from an installed surge\n"); });

  surge::ServerConfig config;
  config.listen = {"127.0.0.1:0"};
  config.threads = 1;
  surge::Server server(config, router);
  server.start();
  server.shutdown();
  server.wait();
  std::cout << "consumer ok\n";
  return 0;
}
