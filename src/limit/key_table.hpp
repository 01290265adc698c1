#pragma once
// KeyTable: a bounded map LimitKey -> bucket state with least-recently-used eviction.

#include <cstdint>
#include <memory>

#include "limit/clock.hpp"
#include "limit/limit_key.hpp"
#include "limit/sip_hash.hpp"

namespace surge::detail {

/// Holds at most `max_keys` entries, each a key and its GCRA state (one time point). All memory is
/// allocated by the constructor: 40 bytes per entry plus 4 to 8 bytes of bucket array per entry
/// (max_keys = 1,000,000: 44 MB of address space, touched as keys arrive). When full, inserting a
/// new key evicts the least recently used one, so a flood of distinct keys recycles entries and
/// never grows memory.
///
/// Layout: entries are preallocated slots linked into hash chains (separate chaining over a
/// power-of-two bucket array of 32-bit slot indexes, load factor <= 1) and into one LRU list
/// (prev/next slot indexes). The bucket index is SipHash-1-3 of the key under `seed`, so a client
/// choosing its addresses (an IPv6 /64 offers 2^64) cannot build long chains.
///
/// Single-threaded: one table per worker. Pointers returned stay valid until the next insert()
/// or erase().
class KeyTable final {
 public:
  /// Throws std::invalid_argument unless 1 <= max_keys <= 2^31, std::bad_alloc if out of memory.
  KeyTable(std::uint32_t max_keys, const SipKey& seed);
  KeyTable(const KeyTable&) = delete;
  KeyTable& operator=(const KeyTable&) = delete;

  /// The key's state, marked most recently used; nullptr if absent.
  Clock::time_point* find(const LimitKey& key);
  /// The key's state without touching its recency; nullptr if absent.
  const Clock::time_point* get(const LimitKey& key) const;
  bool contains(const LimitKey& key) const { return get(key) != nullptr; }
  /// Adds an absent key (precondition: !contains(key)) with `state`, as most recently used. When
  /// the table is full the least recently used entry is evicted first and its slot reused.
  Clock::time_point& insert(const LimitKey& key, Clock::time_point state);
  /// Removes the key if present; returns whether it was.
  bool erase(const LimitKey& key);

  /// The least recently used entry's state (the next to be evicted), nullptr if empty.
  const Clock::time_point* oldest() const;
  const LimitKey* oldest_key() const;

  std::uint32_t size() const { return size_; }
  std::uint32_t capacity() const { return capacity_; }
  bool full() const { return size_ == capacity_; }
  /// Entries evicted to make room since construction.
  std::uint64_t evictions() const { return evictions_; }

 private:
  static constexpr std::uint32_t kNil = 0xffffffffu;

  struct Entry {
    LimitKey key;
    Clock::time_point state;
    std::uint32_t hash;   // low 32 bits of the index hash: chain walks compare it first
    std::uint32_t chain;  // next slot in the same bucket, or in the free list
    std::uint32_t prev;   // LRU neighbours: prev is more recent, next less recent
    std::uint32_t next;
  };
  static_assert(sizeof(Entry) == 40);

  std::uint64_t hash_of(const LimitKey& key) const;
  std::uint32_t lookup(const LimitKey& key, std::uint32_t hash) const;
  void unlink_chain(std::uint32_t slot);
  void unlink_lru(std::uint32_t slot);
  void push_front(std::uint32_t slot);

  SipKey seed_;
  std::uint32_t capacity_;
  std::uint32_t mask_;  // bucket count - 1
  std::unique_ptr<Entry[]> entries_;
  std::unique_ptr<std::uint32_t[]> buckets_;
  std::uint32_t size_ = 0;
  std::uint32_t never_used_ = 0;  // slots [never_used_, capacity_) were never handed out
  std::uint32_t free_ = kNil;     // slots released by erase(), linked through `chain`
  std::uint32_t head_ = kNil;     // most recently used
  std::uint32_t tail_ = kNil;     // least recently used
  std::uint64_t evictions_ = 0;
};

}  // namespace surge::detail
