#pragma once
// Reloadable: the real surged binary on a config file in its own directory, which a test rewrites
// before each SIGHUP.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <regex>
#include <signal.h>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/daemon_process.hpp"

namespace surge::test {

class Reloadable {
 public:
  explicit Reloadable(const nlohmann::json& config)
      : file_(dir_.write("surge.json", config.dump(2))), daemon_({"--config", file_}) {
    port_ = daemon_.wait_listening().value_or(0);
  }

  /// Writes the new file, sends SIGHUP and waits for the log line that ends this reload (the
  /// n-th "configuration reloaded" or "reload failed" line, so several reloads can follow).
  bool reload(const std::string& content) {
    dir_.write("surge.json", content);
    const std::size_t before = reload_lines();
    daemon_.signal(SIGHUP);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (reload_lines() > before) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  /// The exporter's port, from the start-up line "metrics on http://127.0.0.1:<port>/metrics".
  std::uint16_t metrics_port() {
    static const std::regex kExporter(R"(metrics on http://[0-9.]+:([0-9]+)/metrics)");
    std::smatch match;
    const std::string out = daemon_.wait_output("metrics on http://") ? daemon_.output() : "";
    return std::regex_search(out, match, kExporter)
               ? static_cast<std::uint16_t>(std::stoi(match[1]))
               : 0;
  }

  std::uint16_t port() const { return port_; }
  const std::string& file() const { return file_; }
  DaemonProcess& process() { return daemon_; }

 private:
  std::size_t reload_lines() const {
    const std::string out = daemon_.output();
    std::size_t n = 0;
    for (const char* marker : {"configuration reloaded", "reload failed"}) {
      for (std::size_t at = out.find(marker); at != std::string::npos;
           at = out.find(marker, at + 1))
        ++n;
    }
    return n;
  }

  TempDir dir_;
  std::string file_;
  DaemonProcess daemon_;
  std::uint16_t port_ = 0;
};

}  // namespace surge::test
