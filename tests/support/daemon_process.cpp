#include "support/daemon_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>

namespace surge::test {

std::string surged_path() {
#ifdef SURGED_PATH
  return SURGED_PATH;
#else
  return "surged";
#endif
}

DaemonProcess::DaemonProcess(const std::vector<std::string>& args,
                             const std::vector<std::string>& environment,
                             const std::string& working_directory, int inherited_listener) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> argv_storage{surged_path()};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  // Tests run in parallel: unless a test chooses, the exporter takes an ephemeral port too.
  if (std::find(args.begin(), args.end(), "--metrics-listen") == args.end()) {
    argv_storage.insert(argv_storage.end(), {"--metrics-listen", "127.0.0.1:0"});
  }
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage(environment);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(pipe_fds[1], 1);
    ::dup2(pipe_fds[1], 2);
    // The test runner may have signals blocked or ignored; surged must start with defaults.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    if (!working_directory.empty() && ::chdir(working_directory.c_str()) != 0) ::_exit(126);
    for (auto& e : env_storage) ::putenv(e.data());
    if (inherited_listener >= 0) {
      // Socket activation: fd 3, for this process (the pid survives exec).
      if (inherited_listener != 3 && ::dup2(inherited_listener, 3) < 0) ::_exit(125);
      ::fcntl(3, F_SETFD, 0);
      static char fds[] = "LISTEN_FDS=1";
      static char pid[32];
      std::snprintf(pid, sizeof(pid), "LISTEN_PID=%d", ::getpid());
      ::putenv(fds);
      ::putenv(pid);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  out_fd_ = pipe_fds[0];
  reader_ = std::thread([this] {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(out_fd_, buf, sizeof(buf));
      if (n <= 0) break;
      std::lock_guard lock(mutex_);
      output_.append(buf, static_cast<std::size_t>(n));
      changed_.notify_all();
    }
    std::lock_guard lock(mutex_);
    closed_ = true;
    changed_.notify_all();
  });
}

DaemonProcess::~DaemonProcess() {
  if (!status_) {
    ::kill(pid_, SIGKILL);
    wait_exit(10s);
  }
  if (reader_.joinable()) reader_.join();
  ::close(out_fd_);
}

bool DaemonProcess::wait_output(const std::string& text, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    return output_.find(text) != std::string::npos || closed_;
  }) && output_.find(text) != std::string::npos;
}

std::optional<std::uint16_t> DaemonProcess::wait_listening(std::chrono::milliseconds timeout) {
  static const std::regex kListening(R"(listening on (?:\[[^\]]+\]|[0-9.]+):([0-9]+))");
  std::unique_lock lock(mutex_);
  std::smatch match;
  bool found = changed_.wait_for(lock, timeout, [&] {
    return std::regex_search(output_, match, kListening) || closed_;
  });
  if (!found || !std::regex_search(output_, match, kListening)) return std::nullopt;
  return static_cast<std::uint16_t>(std::stoi(match[1]));
}

void DaemonProcess::signal(int signo) { ::kill(pid_, signo); }

std::optional<int> DaemonProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return status_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
}

std::string DaemonProcess::output_when_closed(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return closed_; });
  return output_;
}

std::string DaemonProcess::output() const {
  std::lock_guard lock(mutex_);
  return output_;
}

RunResult run_surged(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  DaemonProcess process(args);
  RunResult result;
  auto code = process.wait_exit(timeout);
  result.code = code.value_or(-1);
  result.output = process.output_when_closed(5s);
  return result;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "surge-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  std::filesystem::path file = std::filesystem::path(path_) / name;
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << content;
  return file.string();
}

}  // namespace surge::test
