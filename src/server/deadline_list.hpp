#pragma once
// DeadlineList: connection timeouts without a timer per connection.

#include <chrono>
#include <cstdint>

namespace surge::detail {

using Clock = std::chrono::steady_clock;

/// A connection's membership in one deadline list. A connection waits for at most one thing at a
/// time (a header, a body, the next request, a write), so it is in at most one list.
struct DeadlineHook {
  DeadlineHook* prev = nullptr;
  DeadlineHook* next = nullptr;
  Clock::time_point deadline{};
  std::uint8_t list = 0;  // which list holds it; 0: none
  bool linked() const { return list != 0; }
};

/// An intrusive FIFO of hooks that all wait for the same duration: appending at the tail keeps it
/// sorted by deadline, so arming, re-arming and cancelling are O(1) pointer updates and expiry
/// only looks at the head (the nginx/h2o "timeout list" idea, without a timer tree).
class DeadlineList final {
 public:
  explicit DeadlineList(std::uint8_t id) : id_(id) {}
  DeadlineList(const DeadlineList&) = delete;
  DeadlineList& operator=(const DeadlineList&) = delete;

  bool empty() const { return head_ == nullptr; }
  DeadlineHook* front() const { return head_; }

  /// Appends; the caller guarantees deadline >= the tail's (same duration, later start).
  void push_back(DeadlineHook& hook, Clock::time_point deadline) {
    hook.deadline = deadline;
    hook.list = id_;
    hook.prev = tail_;
    hook.next = nullptr;
    if (tail_ != nullptr) {
      tail_->next = &hook;
    } else {
      head_ = &hook;
    }
    tail_ = &hook;
  }

  void remove(DeadlineHook& hook) {
    if (hook.prev != nullptr) {
      hook.prev->next = hook.next;
    } else {
      head_ = hook.next;
    }
    if (hook.next != nullptr) {
      hook.next->prev = hook.prev;
    } else {
      tail_ = hook.prev;
    }
    hook.prev = hook.next = nullptr;
    hook.list = 0;
  }

 private:
  std::uint8_t id_;
  DeadlineHook* head_ = nullptr;
  DeadlineHook* tail_ = nullptr;
};

}  // namespace surge::detail
