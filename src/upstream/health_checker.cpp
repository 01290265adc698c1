#include "upstream/health_checker.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <climits>
#include <optional>
#include <poll.h>
#include <random>
#include <string>
#include <string_view>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>
#include <utility>

#include <spdlog/logger.h>

namespace surge::detail {
namespace {

// Room for the status line: longer than any real one ("HTTP/1.1 503 Service Unavailable"), short
// enough that a host answering garbage costs nothing. No more of the answer is read.
constexpr std::size_t kStatusLineRoom = 1024;

class Fd final {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

enum class Phase : std::uint8_t { kIdle, kConnecting, kSending, kReading };

struct Outcome {
  bool passed = false;
  std::string reason;  // of a failure, for the log: "status 500", "timed out", ...
};

// One host's checks: its schedule, its runs of results, and the check in flight (at most one).
struct Probe {
  std::size_t host = 0;        // index in the cluster's hosts()
  std::string request;         // the GET, built once (empty for a TCP check)
  Clock::time_point next;      // idle: when the next check starts
  Clock::time_point deadline;  // in flight: when it fails as timed out
  Phase phase = Phase::kIdle;
  Fd fd;
  short revents = 0;  // what the last poll said of fd
  std::size_t sent = 0;
  std::size_t received = 0;
  std::array<char, kStatusLineRoom> buffer{};
  std::uint32_t passes = 0;    // in a row, up to the healthy threshold
  std::uint32_t failures = 0;  // in a row, up to the unhealthy threshold
  std::size_t address_turn = 0;
};

struct Target {
  std::weak_ptr<Cluster> cluster;
  std::vector<Probe> probes;
};

std::string error_text(int error) {
  std::string text = std::system_category().message(error);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

// "HTTP/1.x NNN", then a space or the line's end; -1 when line is not a status line.
int parse_status_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || !digit(line[7]) || line[8] != ' ')
    return -1;
  if (!digit(line[9]) || !digit(line[10]) || !digit(line[11])) return -1;
  if (line.size() > 12 && line[12] != ' ') return -1;
  return (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
}

bool expected(const UpstreamHealthCheck& check, int status) {
  return std::any_of(
      check.expected_statuses.begin(), check.expected_statuses.end(),
      [status](const StatusRange& s) { return s.first <= status && status <= s.last; });
}

// Starts p's check: a non-blocking connect to the host's next address. An outcome when it failed
// at once; otherwise p is in flight (with an output event faked when the connect completed at
// once).
std::optional<Outcome> start(Probe& p, const UpstreamHost& host, const UpstreamHealthCheck& check,
                             Clock::time_point now) {
  const auto addresses = host.addresses();
  if (addresses->empty()) return Outcome{false, "its name resolves to no address"};
  const HostAddress& address = (*addresses)[p.address_turn++ % addresses->size()];
  p.fd = Fd(::socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (p.fd.get() < 0) return Outcome{false, error_text(errno)};
  p.phase = Phase::kConnecting;
  p.deadline = now + check.timeout;
  if (::connect(p.fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) ==
      0) {
    p.revents = POLLOUT;
  } else if (errno != EINPROGRESS) {
    return Outcome{false, error_text(errno)};
  }
  return std::nullopt;
}

std::optional<Outcome> read_status(Probe& p, const UpstreamHealthCheck& check) {
  const ssize_t n =
      ::recv(p.fd.get(), p.buffer.data() + p.received, p.buffer.size() - p.received, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::nullopt;
    return Outcome{false, error_text(errno)};
  }
  if (n == 0) return Outcome{false, "closed before the status line"};
  const std::string_view before(p.buffer.data(), p.received);
  p.received += static_cast<std::size_t>(n);
  const std::string_view seen(p.buffer.data(), p.received);
  const std::size_t end = seen.find('\n', before.size());
  if (end == std::string_view::npos) {
    if (p.received == p.buffer.size()) return Outcome{false, "malformed status line"};
    return std::nullopt;
  }
  const int status = parse_status_line(seen.substr(0, end));
  if (status < 0) return Outcome{false, "malformed status line"};
  return Outcome{expected(check, status), "status " + std::to_string(status)};
}

// Moves p's check on after poll said something of its socket; an outcome once it is decided.
std::optional<Outcome> advance(Probe& p, const UpstreamHealthCheck& check) {
  p.revents = 0;
  if (p.phase == Phase::kConnecting) {
    int error = 0;
    socklen_t length = sizeof(error);
    if (::getsockopt(p.fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    if (error == EINPROGRESS) return std::nullopt;
    if (error != 0) return Outcome{false, error_text(error)};
    if (check.tcp) return Outcome{true, {}};
    p.phase = Phase::kSending;
  }
  if (p.phase == Phase::kSending) {
    const ssize_t n =
        ::send(p.fd.get(), p.request.data() + p.sent, p.request.size() - p.sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::nullopt;
      return Outcome{false, error_text(errno)};
    }
    p.sent += static_cast<std::size_t>(n);
    if (p.sent < p.request.size()) return std::nullopt;
    p.phase = Phase::kReading;
    return std::nullopt;  // the answer comes later: poll says when
  }
  return read_status(p, check);
}

// The thread's state: created, used and destroyed by HealthChecker::run() alone.
class CheckLoop final {
 public:
  CheckLoop(spdlog::logger* log, std::atomic<std::uint64_t>& done) : log_(log), done_(done) {}

  void add(const std::weak_ptr<Cluster>& weak, Clock::time_point now);
  // Drops the clusters no one holds; moves every check on: starts what is due, reads what poll
  // reported, fails what timed out.
  void serve(Clock::time_point now);
  // Blocks until a socket is ready, the earliest schedule or deadline comes, or wake_fd is written.
  void wait(int wake_fd);

 private:
  void serve(Probe& p, const Cluster& cluster, Clock::time_point now);
  void finish(Probe& p, const Cluster& cluster, const Outcome& outcome, Clock::time_point now);
  Clock::duration jitter(std::chrono::milliseconds most) {
    const Clock::rep most_ticks = std::chrono::duration_cast<Clock::duration>(most).count();
    return Clock::duration(std::uniform_int_distribution<Clock::rep>(0, most_ticks)(random_));
  }

  spdlog::logger* log_;
  std::atomic<std::uint64_t>& done_;
  std::vector<Target> targets_;
  std::mt19937_64 random_{std::random_device{}()};
  std::vector<pollfd> fds_;
  std::vector<Probe*> polled_;  // whose socket fds_[i + 1] is
};

void CheckLoop::add(const std::weak_ptr<Cluster>& weak, Clock::time_point now) {
  const std::shared_ptr<Cluster> cluster = weak.lock();
  if (!cluster) return;
  const UpstreamHealthCheck& check = cluster->config().health_check;
  Target target{weak, std::vector<Probe>(cluster->hosts().size())};
  for (std::size_t i = 0; i < target.probes.size(); ++i) {
    Probe& p = target.probes[i];
    p.host = i;
    p.next = now + jitter(check.jitter);
    if (check.tcp) continue;
    const std::string& host = check.host.empty() ? cluster->hosts()[i]->address() : check.host;
    p.request = "GET " + check.path + " HTTP/1.1\r\nHost: " + host +
                "\r\nUser-Agent: surge-health-check\r\nConnection: close\r\n\r\n";
  }
  targets_.push_back(std::move(target));
}

void CheckLoop::serve(Clock::time_point now) {
  // A cluster is locked only while its checks move on, never across the wait: one a reload
  // retired is freed by its last holder, and its sockets here close at the next round.
  std::erase_if(targets_, [&](Target& target) {
    const std::shared_ptr<Cluster> cluster = target.cluster.lock();
    if (!cluster) return true;
    for (Probe& p : target.probes)
      serve(p, *cluster, now);
    return false;
  });
}

void CheckLoop::serve(Probe& p, const Cluster& cluster, Clock::time_point now) {
  const UpstreamHealthCheck& check = cluster.config().health_check;
  std::optional<Outcome> outcome;
  if (p.phase == Phase::kIdle) {
    if (now < p.next) return;
    outcome = start(p, *cluster.hosts()[p.host], check, now);
  }
  if (!outcome && p.revents != 0) outcome = advance(p, check);
  // An answer that came with the deadline still counts: poll reported it first.
  if (!outcome && now >= p.deadline) outcome = Outcome{false, "timed out"};
  if (outcome) finish(p, cluster, *outcome, now);
}

void CheckLoop::finish(Probe& p, const Cluster& cluster, const Outcome& outcome,
                       Clock::time_point now) {
  const UpstreamHealthCheck& check = cluster.config().health_check;
  p.fd.reset();
  p.phase = Phase::kIdle;
  p.revents = 0;
  p.sent = 0;
  p.received = 0;
  p.next = now + check.interval + jitter(check.jitter);
  const UpstreamHost& host = *cluster.hosts()[p.host];
  HostHealth& health = host.health();
  health.count_check(outcome.passed);
  // This thread alone writes active_down: reading it tells whether a threshold is being crossed.
  HealthChange change = HealthChange::kNone;
  if (outcome.passed) {
    const std::uint32_t threshold = std::max<std::uint32_t>(check.healthy_threshold, 1);
    p.failures = 0;
    p.passes = std::min(p.passes + 1, threshold);
    if (health.active_down() && p.passes >= threshold) change = health.set_active(true, now);
  } else {
    const std::uint32_t threshold = std::max<std::uint32_t>(check.unhealthy_threshold, 1);
    p.passes = 0;
    p.failures = std::min(p.failures + 1, threshold);
    if (!health.active_down() && p.failures >= threshold) change = health.set_active(false, now);
  }
  if (log_ != nullptr && change == HealthChange::kActiveDown) {
    log_->warn("upstream \"{}\" {}: health check failed {} times ({}); out of rotation",
               cluster.name(), host.address(), p.failures, outcome.reason);
  } else if (log_ != nullptr && change == HealthChange::kActiveUp) {
    log_->info("upstream \"{}\" {}: health check passed {} times; back in rotation", cluster.name(),
               host.address(), p.passes);
  }
  // Release: whoever reads checks_done() sees the verdict and the host's counters of this check.
  done_.fetch_add(1, std::memory_order_release);
}

void CheckLoop::wait(int wake_fd) {
  fds_.assign(1, pollfd{wake_fd, POLLIN, 0});
  polled_.clear();
  Clock::time_point until = Clock::time_point::max();
  for (Target& target : targets_) {
    for (Probe& p : target.probes) {
      if (p.phase == Phase::kIdle) {
        until = std::min(until, p.next);
        continue;
      }
      until = std::min(until, p.deadline);
      fds_.push_back(
          pollfd{p.fd.get(), static_cast<short>(p.phase == Phase::kReading ? POLLIN : POLLOUT), 0});
      polled_.push_back(&p);
    }
  }
  int timeout = -1;
  if (until != Clock::time_point::max()) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now()).count();
    timeout = static_cast<int>(std::clamp<decltype(left)>(left, 0, INT_MAX));
  }
  if (::poll(fds_.data(), fds_.size(), timeout) <= 0) return;  // the time came, or EINTR
  if (fds_[0].revents != 0) {
    std::uint64_t count = 0;
    [[maybe_unused]] const ssize_t n = ::read(wake_fd, &count, sizeof(count));
  }
  for (std::size_t i = 1; i < fds_.size(); ++i) {
    if (fds_[i].revents != 0) polled_[i - 1]->revents = fds_[i].revents;
  }
}

}  // namespace

HealthChecker::HealthChecker(std::shared_ptr<spdlog::logger> log) : log_(std::move(log)) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0)
    throw std::system_error(errno, std::system_category(), "health checker: eventfd");
  thread_ = std::thread([this] { run(); });
}

HealthChecker::~HealthChecker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake();
  thread_.join();
  ::close(wake_fd_);
}

void HealthChecker::add(const std::shared_ptr<Cluster>& cluster) {
  if (!cluster->config().health_check.enabled) return;
  {
    std::lock_guard lock(mutex_);
    added_.push_back(cluster);
  }
  wake();
}

void HealthChecker::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof(one));
}

void HealthChecker::run() {
  CheckLoop loop(log_.get(), checks_done_);
  std::vector<std::weak_ptr<Cluster>> added;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      added.swap(added_);
    }
    const Clock::time_point now = Clock::now();
    for (const std::weak_ptr<Cluster>& cluster : added)
      loop.add(cluster, now);
    added.clear();
    loop.serve(now);
    loop.wait(wake_fd_);
  }
  // The loop's destruction closes every socket still in flight.
}

}  // namespace surge::detail
