#pragma once
// HostSelector: one worker's choice of host for each request of one upstream, and what each
// request's outcome teaches it (load, latency, outlier ejection, the host's breaker).

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "upstream/balancer.hpp"
#include "upstream/cluster.hpp"

namespace spdlog {
class logger;
}

namespace surge::detail {

/// One pick: the host, and with a breaker the permit its outcome settles. A pick that is never
/// settled leaks a request in flight in the balancer and, in half-open, a probe slot.
struct HostPick {
  std::size_t host = kNoHost;
  BreakerPermit permit;
  Clock::time_point at{};
};

/// How a request ended on its host, as health sees it.
enum class HostOutcome : std::uint8_t {
  kAnswered,        // a response head (its status decides: 5xx counts against the host)
  kGatewayFailure,  // connect failure, reset or close before the head, timeout
  kAbandoned,       // no verdict: the client left, or the request went nowhere
};

/// Owned by a worker's ClusterPool; worker thread only. Reads the hosts' shared health (atomics)
/// on every pick; writes it only on failures, ejections and breaker moves.
class HostSelector final {
 public:
  HostSelector(const Cluster& cluster, std::size_t worker, std::uint64_t seed);

  /// A host not in `tried` that may take a request: not ejected, not down by the active check,
  /// its breaker admitting. When fewer than panic_threshold_percent of the hosts are usable the
  /// health verdicts are ignored (Envoy's panic mode) and only breakers and `tried` exclude.
  /// kNoHost in the result when none can.
  HostPick pick(std::span<const std::uint32_t> tried, std::optional<std::uint64_t> key, Clock::time_point now,
                spdlog::logger& log);
  /// The pick's request ended: the balancer's load and latency, the outlier detector's runs, the
  /// breaker's window. `status`: the response's status with kAnswered.
  void settle(HostPick& pick, HostOutcome outcome, int status, Clock::time_point now, spdlog::logger& log);

  /// The worker's tick: the host breakers' ratio trips and open -> half-open moves (any number of
  /// workers may evaluate one breaker; each move is reported once).
  void tick(Clock::time_point now, spdlog::logger& log);

  /// Whether the last pick ran in panic mode (for tests and the exporter's view).
  bool panicking() const { return panic_; }

 private:
  struct View;
  void update_panic(Clock::time_point now);
  void note_failure(std::size_t host, bool gateway, Clock::time_point now, spdlog::logger& log);
  /// Ejects host unless max_ejection_percent of the hosts are out already; logs why.
  bool eject(std::size_t host, std::string_view why, Clock::time_point now, spdlog::logger& log);
  void judge_failure_percent(Clock::time_point now, spdlog::logger& log);
  void note_breaker(std::size_t host, const BreakerTransition& t, spdlog::logger& log);

  const Cluster& cluster_;
  std::size_t worker_;
  Balancer balancer_;
  // This worker's requests and failures per host over the current interval (failure_percent).
  struct Window {
    std::uint32_t requests = 0;
    std::uint32_t failures = 0;
  };
  std::vector<Window> window_;
  Clock::time_point window_end_{};
  Clock::time_point panic_checked_{};
  bool panic_ = false;
};

}  // namespace surge::detail
