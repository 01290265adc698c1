#include "limit/breaker_window.hpp"

namespace surge::detail {
namespace {

constexpr std::uint64_t kInvalid = ~std::uint64_t{0};
constexpr int kGenerationShift = 48;
constexpr std::uint64_t kNumberMask = (std::uint64_t{1} << kGenerationShift) - 1;

std::uint64_t bucket_number(Clock::time_point now, std::int64_t bucket_ns) {
  const std::int64_t ns = to_ns(now);
  return ns <= 0 ? 0 : static_cast<std::uint64_t>(ns / bucket_ns);
}

// Release: a reader whose acquire load sees this value also sees the tag written before it (see
// sum()). On x86-64 a release store is the same mov as a relaxed one.
void bump(std::atomic<std::uint32_t>& counter) {
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

}  // namespace

BreakerWindow::BreakerWindow(std::uint32_t buckets, Clock::duration bucket_length)
    : buckets_(std::make_unique<Bucket[]>(buckets)),
      count_(buckets),
      bucket_ns_(bucket_length.count()) {
  for (std::uint32_t i = 0; i < count_; ++i) {
    buckets_[i].tag.store(kInvalid, std::memory_order_relaxed);
    buckets_[i].calls.store(0, std::memory_order_relaxed);
    buckets_[i].failures.store(0, std::memory_order_relaxed);
    buckets_[i].slow.store(0, std::memory_order_relaxed);
  }
}

void BreakerWindow::record(std::uint16_t generation, Clock::time_point now, bool failure,
                           bool slow) {
  if (to_ns(now) >= last_end_ns_) {
    last_number_ = bucket_number(now, bucket_ns_);
    last_slot_ = static_cast<std::uint32_t>(last_number_ % count_);
    last_end_ns_ = static_cast<std::int64_t>(last_number_ + 1) * bucket_ns_;
  }
  const std::uint64_t tag =
      std::uint64_t{generation} << kGenerationShift | (last_number_ & kNumberMask);
  Bucket& b = buckets_[last_slot_];
  if (b.tag.load(std::memory_order_relaxed) != tag) {
    // Seqlock write: the counter stores are releases, so a reader that sees any counter value of
    // the new bucket also sees the invalid tag, and rejects what it read.
    b.tag.store(kInvalid, std::memory_order_relaxed);
    b.calls.store(0, std::memory_order_release);
    b.failures.store(0, std::memory_order_release);
    b.slow.store(0, std::memory_order_release);
    b.tag.store(tag, std::memory_order_release);
  }
  bump(b.calls);
  if (failure) bump(b.failures);
  if (slow) bump(b.slow);
}

WindowCounts BreakerWindow::sum(std::uint16_t generation, Clock::time_point now) const {
  const std::uint64_t current = bucket_number(now, bucket_ns_);
  WindowCounts total;
  for (std::uint32_t i = 0; i < count_; ++i) {
    const Bucket& b = buckets_[i];
    const std::uint64_t tag = b.tag.load(std::memory_order_acquire);
    if (tag == kInvalid || tag >> kGenerationShift != generation) continue;
    const std::uint64_t number = tag & kNumberMask;
    if (number > current || current - number >= count_) continue;
    // Acquire loads keep the tag re-read below after them (no fences: TSan understands this).
    const WindowCounts counts{b.calls.load(std::memory_order_acquire),
                              b.failures.load(std::memory_order_acquire),
                              b.slow.load(std::memory_order_acquire)};
    if (b.tag.load(std::memory_order_relaxed) != tag) continue;  // reset while we read it
    total += counts;
  }
  return total;
}

}  // namespace surge::detail
