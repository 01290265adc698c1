#pragma once
// StaleCache: one worker's last good GET answers of one proxy route, kept to answer with when the
// upstream cannot (RFC 5861 stale-if-error).

#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "net/deadline_list.hpp"  // Clock
#include "upstream/upstream_pools.hpp"  // RouteLocal

namespace surge::detail {

/// A route's "stale_if_error": off unless configured.
struct StaleIfError {
  bool enabled = false;
  std::chrono::milliseconds max_age{300000};  // an answer older than this is not served
  std::uint32_t max_entries = 1024;           // per worker; the least recently stored goes first
  std::uint32_t max_body_bytes = 65536;       // larger answers are not kept

  bool operator==(const StaleIfError&) const = default;
};

/// Worker thread only. Keyed by the request's Host and target. Storing copies the answer (an
/// allocation), at most once a second per key; a route without stale_if_error never stores.
class StaleCache final : public RouteLocal {
 public:
  struct Entry {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    Clock::time_point stored{};
  };

  explicit StaleCache(const StaleIfError& config) : config_(config) {}

  /// Whether an answer for key stored now would replace nothing fresher than a second.
  bool wants(const std::string& key, Clock::time_point now) const;
  void store(const std::string& key, Entry entry);
  /// The answer for key if there is one within max_age, else null.
  const Entry* find(const std::string& key, Clock::time_point now) const;
  std::size_t size() const { return entries_.size(); }

 private:
  using Order = std::list<std::string>;  // most recently stored first
  struct Slot {
    Entry entry;
    Order::iterator position;
  };
  StaleIfError config_;
  Order order_;
  std::unordered_map<std::string, Slot> entries_;
};

/// The cache key of a request: "host target".
std::string stale_key(std::string_view host, std::string_view target);

}  // namespace surge::detail
