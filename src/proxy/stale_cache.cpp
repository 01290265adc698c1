#include "proxy/stale_cache.hpp"

namespace surge::detail {
namespace {

// An answer stored less than this long ago is not replaced: under load a hot key costs one copy
// a second, not one per request.
constexpr Clock::duration kRefresh = std::chrono::seconds(1);

}  // namespace

std::string stale_key(std::string_view host, std::string_view target) {
  std::string key;
  key.reserve(host.size() + 1 + target.size());
  key.append(host).append(" ").append(target);
  return key;
}

bool StaleCache::wants(const std::string& key, Clock::time_point now) const {
  const auto it = entries_.find(key);
  return it == entries_.end() || now - it->second.entry.stored >= kRefresh;
}

void StaleCache::store(const std::string& key, Entry entry) {
  if (config_.max_entries == 0 || entry.body.size() > config_.max_body_bytes) return;
  if (auto it = entries_.find(key); it != entries_.end()) {
    order_.erase(it->second.position);
    entries_.erase(it);
  }
  while (entries_.size() >= config_.max_entries && !order_.empty()) {
    entries_.erase(order_.back());
    order_.pop_back();
  }
  order_.push_front(key);
  entries_.emplace(key, Slot{std::move(entry), order_.begin()});
}

const StaleCache::Entry* StaleCache::find(const std::string& key, Clock::time_point now) const {
  const auto it = entries_.find(key);
  if (it == entries_.end() || now - it->second.entry.stored > config_.max_age) return nullptr;
  return &it->second.entry;
}

}  // namespace surge::detail
