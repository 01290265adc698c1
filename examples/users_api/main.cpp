// users_api: an in-memory users REST API on surge.
//   users_api [--listen 127.0.0.1:8081]
//   curl -d '{"name":"Ada","email":"ada@example.org"}' -H 'Content-Type: application/json' localhost:8081/users
#include <signal.h>

#include <iostream>
#include <string>

#include <surge/server.hpp>

#include "users_api.hpp"

int main(int argc, char** argv) {
  surge::ServerConfig config;
  config.listen = {argc > 2 && std::string(argv[1]) == "--listen" ? argv[2] : "127.0.0.1:8081"};

  // Signals are waited for here; block them before the server starts its threads.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  surge::Server server(config, users_api::make_router(std::make_shared<users_api::UserStore>()));
  server.start();
  std::cout << "users_api listening on " << server.local_addresses().front() << std::endl;
  int signal = 0;
  sigwait(&signals, &signal);
  server.shutdown();
  server.wait();
}
