#pragma once
// DaemonProcess: the real surged binary, started by a test and always stopped by it.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace surge::test {

using namespace std::chrono_literals;

/// Path of the surged binary under test (SURGED_PATH from the build).
std::string surged_path();

/// Starts surged with args (and extra "NAME=value" environment entries), stdout and stderr
/// captured; unless args choose one, with --metrics-listen 127.0.0.1:0 so parallel tests do not
/// share the exporter's port. The destructor kills it if it still runs.
class DaemonProcess {
 public:
  /// inherited_listener >= 0: the child gets it as fd 3 with LISTEN_FDS=1 and LISTEN_PID set to
  /// its own pid, as systemd's socket activation does.
  explicit DaemonProcess(const std::vector<std::string>& args,
                         const std::vector<std::string>& environment = {},
                         const std::string& working_directory = "", int inherited_listener = -1);
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  /// Waits for the start-up line and returns the port of the first listen address; nullopt if
  /// the process exited (or said nothing) first.
  std::optional<std::uint16_t> wait_listening(std::chrono::milliseconds timeout = 20s);
  /// Waits until the output contains text.
  bool wait_output(const std::string& text, std::chrono::milliseconds timeout = 20s);
  void signal(int signo);
  /// Exit code (128 + signal if killed), or nullopt if still running at the timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = 30s);
  std::string output() const;
  /// All output, once the process has closed its end (it exited).
  std::string output_when_closed(std::chrono::milliseconds timeout) const;
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  int out_fd_ = -1;
  std::optional<int> status_;
  std::thread reader_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::string output_;
  bool closed_ = false;
};

struct RunResult {
  int code = -1;
  std::string output;
};

/// Runs surged to completion (for --check-config, --version, start-up errors).
RunResult run_surged(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 30s);

/// A fresh temporary directory, removed with everything in it when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  /// Writes a file below the directory and returns its path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

}  // namespace surge::test
