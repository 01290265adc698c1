#pragma once
// Traffic protection: rate limiting, circuit breaking and load shedding, as middleware.
// Config structs and factories for embedders; see README "Traffic protection" for the semantics
// next to nginx limit_req, gobreaker / Sentinel / resilience4j and Netflix concurrency-limits.
//
// Where they go in the chain (see <surge/builtin_middleware.hpp>):
//
//   recover -> request_id -> cors -> rate limits -> load shedding -> [route: rate limits ->
//   load shedding -> circuit breaker] -> handler
//
// Every factory returns a middleware that all workers share once attach(workers) ran. Its
// mutable state is per worker (token buckets, key tables, in-flight counts, counters), except a
// circuit breaker's state word and a `shared` global bucket, which are one atomic each. No locks
// on the request path, and no allocation once warmed up (a rejection's log line aside, which is
// itself rate-limited). Configs are checked by the factories: std::invalid_argument on a value
// that cannot work (start-up only).

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <surge/middleware.hpp>
#include <surge/peer.hpp>

namespace spdlog {
class logger;
}  // namespace spdlog

namespace surge {

/// The clock every protection reads: a plain function pointer (no allocation, no capture), so a
/// unit test can move time by hand with a function returning a variable it controls.
using SteadyNow = std::chrono::steady_clock::time_point (*)();

// ---------------------------------------------------------------------------------------------
// Client address

/// Networks whose peers are trusted to say who the client is (X-Forwarded-For, Forwarded): the
/// load balancers and proxies in front of surge. Parsed once at start-up; contains() is a linear
/// scan of a few networks, no allocation. Thread-safe to read.
class TrustedProxies final {
 public:
  TrustedProxies() = default;
  /// Each entry is "a.b.c.d/n" (n 0..32), "ipv6/n" (n 0..128) or a single address (/32, /128).
  /// Throws std::invalid_argument naming the entry when one is malformed or has bits set beyond
  /// its prefix ("10.0.0.1/8": a typo that would trust 16 million addresses).
  explicit TrustedProxies(const std::vector<std::string>& cidrs);
  /// Adds one network (same syntax and exception).
  void add(std::string_view cidr);

  /// Whether `address` is inside one of the networks. An IPv4 network also matches the
  /// IPv4-mapped IPv6 form of its addresses (::ffff:10.0.0.1); an IPv6 network never matches
  /// an IPv4 address (as nginx's set_real_ip_from).
  bool contains(const PeerAddress& address) const;
  bool empty() const { return networks_.empty(); }
  std::size_t size() const { return networks_.size(); }

  bool operator==(const TrustedProxies&) const = default;

 private:
  struct Network {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 as IPv4-mapped IPv6, as in PeerAddress
    std::uint8_t prefix = 0;               // bits of `bytes` compared (IPv4 /n: 96 + n)
    bool v4 = false;

    bool operator==(const Network&) const = default;
  };
  std::vector<Network> networks_;
};

/// How a request's client address is found (see README "Client address behind a load
/// balancer"). The TCP peer, unless it is a trusted proxy: then the rightmost address of
/// X-Forwarded-For (all its lines, in order) that is not itself a trusted proxy.
struct ClientAddressConfig {
  // Proxies whose forwarding headers are believed. Empty (default): the client is always the
  // TCP peer and forwarding headers are ignored.
  TrustedProxies trusted_proxies;
  // When a trusted peer sent no X-Forwarded-For, read the RFC 7239 `Forwarded: for=` header the
  // same way. Default false (most balancers send X-Forwarded-For only).
  bool use_forwarded = false;

  bool operator==(const ClientAddressConfig&) const = default;
};

// ---------------------------------------------------------------------------------------------
// Rate limiting

/// What a rate limit counts requests by: one token bucket per distinct key.
enum class RateLimitKey : std::uint8_t {
  kClientAddress,  // the client address (ClientAddressConfig), optionally an IPv6 prefix
  kHeader,         // the value of a request header (an API key), hashed with a secret
  kRoute,          // the matched route pattern ("" for requests no route matched)
  kNone,           // nothing: one bucket for all requests
};

/// How a limit configured for the process is enforced by per-worker state.
enum class RateLimitShare : std::uint8_t {
  kAuto,    // kSplit for a keyed limit, kShared for kNone (default)
  kSplit,   // each worker enforces rate/N and ceil(burst/N): never over-admits; a client whose
            // requests reach few workers (one keep-alive connection) gets less (down to rate/N)
  kFull,    // each worker enforces the whole rate and burst: a client spread over k workers may
            // get up to k times the limit
  kShared,  // one bucket for all workers, one atomic compare-and-swap per admitted request:
            // exact. Only for key kNone
};

/// A request without the key header (RateLimitKey::kHeader).
enum class MissingKey : std::uint8_t {
  kShare,  // all such requests share one bucket (the key ""): anonymous clients are one tenant
  kSkip,   // the limit does not apply to them (they are neither counted nor refused)
};

struct RateLimitConfig {
  // Names the limit in RateLimit-Policy / RateLimit, the rejection body and log lines.
  // 1..256 printable ASCII characters, no '"' or '\\'. Default "default".
  std::string name = "default";
  // Tokens added per `per`. 1..10^9. Default 10.
  std::uint32_t rate = 10;
  // The period of `rate`: 1 s (r/s) or 1 min (r/m) in config files; any positive duration here.
  // Default 1 s.
  std::chrono::nanoseconds per = std::chrono::seconds(1);
  // Bucket capacity: requests that may arrive at once after an idle period. 1..10^9. Default
  // 10. nginx `burst=B nodelay` admits B + 1 at once: burst = B + 1 here.
  std::uint32_t burst = 10;
  // What requests are counted by. Default kClientAddress.
  RateLimitKey key = RateLimitKey::kClientAddress;
  // kHeader: the header's name (a field name, e.g. "X-API-Key"). Required then.
  std::string header;
  // kHeader: what happens to requests without it. Default kShare.
  MissingKey missing_header = MissingKey::kShare;
  // kClientAddress: bits of an IPv6 address kept in the key (64: one bucket per /64, what one
  // IPv6 subscriber usually holds). 1..128; IPv4 addresses are always whole. Default 128.
  unsigned ipv6_prefix = 128;
  // kClientAddress: who the client is behind a balancer. Default: the TCP peer.
  ClientAddressConfig client_address;
  // Keys tracked per worker; the least recently used is forgotten beyond it (it gets a full
  // bucket on its next request). About 44 bytes per key, allocated at start-up. 1..2^24.
  // Default 65536.
  std::uint32_t max_keys = 65536;
  // Status of a rejection: 429, or 503 for nginx parity (limit_req_status). 400..599. Default
  // 429.
  int status = 429;
  // Count and log requests over the limit, but let them through. Default false.
  bool dry_run = false;
  // Send RateLimit-Policy and RateLimit on every response, not only on rejections. Default false.
  bool headers = false;
  // See RateLimitShare. Default kAuto.
  RateLimitShare share = RateLimitShare::kAuto;
  // The clock. Default std::chrono::steady_clock::now.
  SteadyNow now = &std::chrono::steady_clock::now;

  bool operator==(const RateLimitConfig&) const = default;
};

/// Checks the ranges above (README "Rate limiting"): rate and burst 1..10^9, a positive per,
/// ipv6_prefix 1..128, max_keys 1..2^24, status 400..599; a header name with kHeader, kShared
/// only with kNone, and the name. Throws InvalidField naming the key ("burst").
/// make_rate_limit calls it; so does the configuration loader.
void validate(const RateLimitConfig& config);

/// One named limit (several limits on one request are several middleware, in chain order). A
/// request over it is answered `status` with body `rate limit "<name>" exceeded\n`,
/// Retry-After (whole seconds until a token is there, rounded up), `RateLimit-Policy:
/// "<name>";q=<rate>;w=<per in seconds>` and `RateLimit: "<name>";r=<tokens left>;t=<seconds
/// until the bucket is full>` (draft-ietf-httpapi-ratelimit-headers), one log line on `log`
/// (info; at most 10 per second per worker, the rest counted in the next line) and one counter.
/// The log line names the client address and the key kind, never a header's value (API keys
/// are secrets). A null `log` logs nothing. Throws std::invalid_argument for an invalid config.
MiddlewarePtr make_rate_limit(RateLimitConfig config, std::shared_ptr<spdlog::logger> log = {});

// ---------------------------------------------------------------------------------------------
// Circuit breaker

/// Manual override of a breaker's state.
enum class BreakerForce : std::uint8_t {
  kNone,    // the breaker follows outcomes (default)
  kOpen,    // every call is refused (503) until the override is removed
  kClosed,  // every call passes and outcomes are ignored
};

/// A status range counted as a failed call, inclusive ("5xx" is {500, 599}).
struct StatusRange {
  int first = 500;
  int last = 599;
  bool operator==(const StatusRange&) const = default;
};

struct CircuitBreakerConfig {
  // Names the breaker in the 503 body and log lines. 1..256 printable ASCII characters, no '"'
  // or '\\'. Default "default".
  std::string name = "default";
  // Rolling window over which ratios are computed, and its buckets (resolution window/buckets,
  // at least 1 ms). Defaults 10 s and 10.
  std::chrono::milliseconds window{10'000};
  std::uint32_t window_buckets = 10;
  // Calls in the window (all workers) before a ratio may trip. Default 20.
  std::uint32_t min_requests = 20;
  // Trip when at least this percentage of the window's calls failed. 0 disables. 0..100;
  // default 50.
  std::uint32_t failure_percent = 50;
  // A call that took longer than this is slow. Default 1 s.
  std::chrono::milliseconds slow_call{1'000};
  // Trip when at least this percentage of the window's calls were slow. 0 disables (default).
  std::uint32_t slow_call_percent = 0;
  // Trip when one worker sees this many failures in a row. 0 disables (default).
  std::uint32_t consecutive_failures = 0;
  // Time open before half-open probes are let through. Default 5 s.
  std::chrono::milliseconds open{5'000};
  // Each re-open from half-open multiplies the open time by this percentage (200 doubles it),
  // up to max_open. 100..10000; default 100 (fixed).
  std::uint32_t open_multiplier_percent = 100;
  std::chrono::milliseconds max_open{60'000};
  // Probe calls in half-open: the breaker closes when all succeed, re-opens at the first
  // failure. 1..10000; default 5.
  std::uint32_t half_open_max_calls = 5;
  // Final statuses that count as a failed call (504 excepted, see timeouts_are_failures).
  // Default {5xx}. An exception in the handler counts as the 500 recover (or the engine) answers.
  std::vector<StatusRange> failure_statuses{StatusRange{500, 599}};
  // A 504 (a deferred answer that missed its deadline, or a handler's own gateway timeout) counts
  // as a failure. Default true.
  bool timeouts_are_failures = true;
  // Manual override. Default kNone.
  BreakerForce force = BreakerForce::kNone;
  // The clock. Default std::chrono::steady_clock::now.
  SteadyNow now = &std::chrono::steady_clock::now;

  bool operator==(const CircuitBreakerConfig&) const = default;
};

/// Checks the ranges above (README "Circuit breaker"), window at least 1 ms per bucket, max_open
/// not shorter than open, failure statuses within 100..599, and the name. Throws InvalidField
/// naming the key ("window_ms"). make_circuit_breaker calls it; so does the configuration loader.
void validate(const CircuitBreakerConfig& config);

/// A circuit breaker around the rest of the chain (put it on the routes whose dependency it
/// protects; register one instance on several routes to share it). While open: 503 with body
/// `circuit breaker "<name>" is open\n` and Retry-After (seconds until it half-opens, rounded up;
/// 1 while half-open probes are all taken; `open` rounded up while forced open), without running
/// the handler; one log line (rate-limited as for rate limits) and one counter. Every call let
/// through is classified when its response is final (on_complete: synchronous, deferred, or the 504
/// of a missed deadline). State changes are logged (warning for opening, info otherwise) and
/// counted. Throws std::invalid_argument for an invalid config.
MiddlewarePtr make_circuit_breaker(CircuitBreakerConfig config,
                                   std::shared_ptr<spdlog::logger> log = {});

// ---------------------------------------------------------------------------------------------
// Load shedding

/// Adaptive concurrency (AIMD on latency against a measured no-load baseline; see README).
struct AdaptiveConcurrencyConfig {
  // Off: the bound is max_in_flight_per_worker alone. Default false.
  bool enabled = false;
  // Limit before the first adjustment, and its bounds (in-flight requests per worker; the
  // limit is also capped by max_in_flight_per_worker). Defaults 50, 4, 1000.
  std::uint32_t initial_limit = 50;
  std::uint32_t min_limit = 4;
  std::uint32_t max_limit = 1000;
  // A measurement window closes at the first completion after it lasted `window` and holds
  // min_samples completions. Defaults 100 ms and 20.
  std::chrono::milliseconds window{100};
  std::uint32_t min_samples = 20;
  // A window whose average latency exceeds baseline x tolerance_percent / 100 is congested.
  // 100..10000; default 150.
  std::uint32_t tolerance_percent = 150;
  // Congested window: limit = limit x backoff_percent / 100. 0..100; default 90.
  std::uint32_t backoff_percent = 90;
  // Uncongested window that used at least half the limit: limit += increase. Default 2.
  std::uint32_t increase = 2;
  // Every probe_interval one window runs at min_limit and re-measures the baseline. 0: never.
  // Default 60 s.
  std::chrono::milliseconds probe_interval{60'000};

  bool operator==(const AdaptiveConcurrencyConfig&) const = default;
};

/// Checks the ranges above (README "Load shedding") and min_limit <= initial_limit <= max_limit,
/// whether enabled or not. Throws InvalidField naming the key ("min_limit").
void validate(const AdaptiveConcurrencyConfig& config);

struct LoadShedConfig {
  // Names the bound in the 503 body and log lines ("global", or the route). 1..256 printable
  // ASCII characters, no '"' or '\\'. Default "global".
  std::string name = "global";
  // Requests in progress per worker (from this middleware until the response is final, so
  // deferred and offloaded requests count while they wait). Beyond it: 503 at once. 1..10^6.
  // Default 1000.
  std::uint32_t max_in_flight_per_worker = 1000;
  // Retry-After on a shed request, seconds. 1..3600; default 1.
  std::uint32_t retry_after_s = 1;
  AdaptiveConcurrencyConfig adaptive;
  // The clock. Default std::chrono::steady_clock::now.
  SteadyNow now = &std::chrono::steady_clock::now;

  bool operator==(const LoadShedConfig&) const = default;
};

/// Checks max_in_flight_per_worker 1..10^6, retry_after_s 1..3600, the name, and the adaptive
/// settings when they are enabled ("adaptive/min_limit"). Throws InvalidField naming the key.
/// make_load_shedder calls it; so does the configuration loader.
void validate(const LoadShedConfig& config);

/// Answers 503 with body `server overloaded: "<name>" in-flight limit reached\n` and Retry-After
/// when this worker already has its limit of requests in progress; one log line (rate-limited)
/// and one counter. Throws std::invalid_argument for an invalid config.
MiddlewarePtr make_load_shedder(LoadShedConfig config, std::shared_ptr<spdlog::logger> log = {});

}  // namespace surge
