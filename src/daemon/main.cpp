#include "daemon/daemon.hpp"

int main(int argc, char** argv) { return surge::detail::run_daemon(argc, argv); }
