#include "limit/key_table.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>

namespace surge::detail {

KeyTable::KeyTable(std::uint32_t max_keys, const SipKey& seed) : seed_(seed), capacity_(max_keys) {
  if (max_keys == 0 || max_keys > (1u << 31)) {
    throw std::invalid_argument("KeyTable: max_keys must be in [1, 2^31]");
  }
  const std::uint32_t buckets = std::bit_ceil(max_keys);
  mask_ = buckets - 1;
  // Entries are not initialised: a slot is written when first handed out, so untouched pages of a
  // large table cost address space only.
  entries_ = std::make_unique_for_overwrite<Entry[]>(capacity_);
  buckets_ = std::make_unique_for_overwrite<std::uint32_t[]>(buckets);
  std::fill_n(buckets_.get(), buckets, kNil);
}

std::uint64_t KeyTable::hash_of(const LimitKey& key) const {
  return sip_hash_13(seed_, {reinterpret_cast<const char*>(key.bytes.data()), key.bytes.size()});
}

std::uint32_t KeyTable::lookup(const LimitKey& key, std::uint32_t hash) const {
  for (std::uint32_t slot = buckets_[hash & mask_]; slot != kNil; slot = entries_[slot].chain) {
    const Entry& e = entries_[slot];
    if (e.hash == hash && e.key == key) return slot;
  }
  return kNil;
}

Clock::time_point* KeyTable::find(const LimitKey& key) {
  const std::uint32_t slot = lookup(key, static_cast<std::uint32_t>(hash_of(key)));
  if (slot == kNil) return nullptr;
  if (slot != head_) {
    unlink_lru(slot);
    push_front(slot);
  }
  return &entries_[slot].state;
}

const Clock::time_point* KeyTable::get(const LimitKey& key) const {
  const std::uint32_t slot = lookup(key, static_cast<std::uint32_t>(hash_of(key)));
  return slot == kNil ? nullptr : &entries_[slot].state;
}

Clock::time_point& KeyTable::insert(const LimitKey& key, Clock::time_point state) {
  std::uint32_t slot;
  if (size_ == capacity_) {
    slot = tail_;
    unlink_chain(slot);
    unlink_lru(slot);
    ++evictions_;
  } else {
    ++size_;
    if (free_ != kNil) {
      slot = free_;
      free_ = entries_[slot].chain;
    } else {
      slot = never_used_++;
    }
  }
  const auto hash = static_cast<std::uint32_t>(hash_of(key));
  Entry& e = entries_[slot];
  e.key = key;
  e.state = state;
  e.hash = hash;
  e.chain = buckets_[hash & mask_];
  buckets_[hash & mask_] = slot;
  push_front(slot);
  return e.state;
}

bool KeyTable::erase(const LimitKey& key) {
  const std::uint32_t slot = lookup(key, static_cast<std::uint32_t>(hash_of(key)));
  if (slot == kNil) return false;
  unlink_chain(slot);
  unlink_lru(slot);
  entries_[slot].chain = free_;
  free_ = slot;
  --size_;
  return true;
}

const Clock::time_point* KeyTable::oldest() const {
  return tail_ == kNil ? nullptr : &entries_[tail_].state;
}

const LimitKey* KeyTable::oldest_key() const {
  return tail_ == kNil ? nullptr : &entries_[tail_].key;
}

void KeyTable::unlink_chain(std::uint32_t slot) {
  // Chains average under one entry (load factor <= 1), so finding the predecessor is cheap and
  // saves a back pointer per entry.
  std::uint32_t* link = &buckets_[entries_[slot].hash & mask_];
  while (*link != slot)
    link = &entries_[*link].chain;
  *link = entries_[slot].chain;
}

void KeyTable::unlink_lru(std::uint32_t slot) {
  Entry& e = entries_[slot];
  (e.prev != kNil ? entries_[e.prev].next : head_) = e.next;
  (e.next != kNil ? entries_[e.next].prev : tail_) = e.prev;
}

void KeyTable::push_front(std::uint32_t slot) {
  Entry& e = entries_[slot];
  e.prev = kNil;
  e.next = head_;
  (head_ != kNil ? entries_[head_].prev : tail_) = slot;
  head_ = slot;
}

}  // namespace surge::detail
