#pragma once
// DeadlineList: timeouts for many sockets without a timer per socket.

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace surge::detail {

using Clock = std::chrono::steady_clock;

class DeadlineListBase;

/// Membership in one deadline list: a socket's owner waits for at most one thing at a time (a
/// header, a body, the next request, a write, an upstream's answer), so it is in at most one list.
/// The owner derives from it; DeadlineList<Owner> calls Owner::on_deadline() when it expires.
class DeadlineHook {
 public:
  bool armed() const { return list_ != nullptr; }
  /// When it expires (meaningful while armed).
  Clock::time_point deadline() const { return deadline_; }
  /// The list it is in, or null.
  const DeadlineListBase* list() const { return list_; }
  /// Takes it out of whatever list it is in (nothing if none).
  void disarm();

 protected:
  DeadlineHook() = default;
  ~DeadlineHook() { disarm(); }
  DeadlineHook(const DeadlineHook&) = delete;
  DeadlineHook& operator=(const DeadlineHook&) = delete;

 private:
  friend class DeadlineListBase;
  DeadlineHook* prev_ = nullptr;
  DeadlineHook* next_ = nullptr;
  DeadlineListBase* list_ = nullptr;
  Clock::time_point deadline_{};
};

/// An intrusive FIFO of hooks that all wait for the same duration: appending at the tail keeps it
/// sorted by deadline, so arming, re-arming and cancelling are O(1) pointer updates and expiry
/// only looks at the head (the nginx/h2o "timeout list" idea, without a timer tree).
class DeadlineListBase {
 public:
  explicit DeadlineListBase(Clock::duration timeout) : timeout_(timeout) {}
  ~DeadlineListBase();
  DeadlineListBase(const DeadlineListBase&) = delete;
  DeadlineListBase& operator=(const DeadlineListBase&) = delete;

  Clock::duration timeout() const { return timeout_; }
  bool empty() const { return head_ == nullptr; }

 protected:
  /// Appends hook (taken out of any other list first) with deadline now + timeout.
  void link(DeadlineHook& hook, Clock::time_point now) { link_at(hook, now + timeout_); }
  /// Appends with a given deadline, which must not be earlier than the tail's (a hook moving
  /// between two lists of the same timeout keeps its deadline).
  void link_at(DeadlineHook& hook, Clock::time_point deadline);
  DeadlineHook* head() const { return head_; }
  static DeadlineHook* next(const DeadlineHook& hook) { return hook.next_; }
  /// Unlinks and returns the head if its deadline is at or before now, else null.
  DeadlineHook* pop_expired(Clock::time_point now);

 private:
  friend class DeadlineHook;
  void unlink(DeadlineHook& hook);

  Clock::duration timeout_;
  DeadlineHook* head_ = nullptr;
  DeadlineHook* tail_ = nullptr;
};

/// The list of one owner type (a server session, an upstream connection): its hooks are that
/// type, so the list hands them back typed.
template <class Owner>
class DeadlineList final : public DeadlineListBase {
 public:
  explicit DeadlineList(Clock::duration timeout) : DeadlineListBase(timeout) {}

  /// (Re)arms owner: out of whatever list it was in, to the tail of this one, due at now + timeout.
  void arm(Owner& owner, Clock::time_point now) { link(owner, now); }
  /// Moves owner here keeping its current deadline (see link_at).
  void move_here(Owner& owner) { link_at(owner, owner.deadline()); }
  /// The owner waiting longest (the next to expire), or null.
  Owner* front() const { return static_cast<Owner*>(head()); }
  /// The one after owner in deadline order, or null.
  static Owner* after(const Owner& owner) { return static_cast<Owner*>(next(owner)); }
  /// Calls on_deadline() on each owner whose deadline is at or before now, oldest first; each is
  /// unlinked before its call (it may re-arm itself or be freed).
  void expire(Clock::time_point now) {
    while (DeadlineHook* hook = pop_expired(now)) static_cast<Owner*>(hook)->on_deadline();
  }
};

/// Lists of one owner type keyed by their timeout, each made on first use: for waits whose length
/// a route or a random draw chooses among a few values (a per-try timeout, a backoff step), each
/// value keeping its own FIFO order. Lookup is linear: a handful of lists at most.
template <class Owner>
class DeadlineListSet final {
 public:
  DeadlineList<Owner>& list(Clock::duration timeout) {
    for (auto& l : lists_) {
      if (l->timeout() == timeout) return *l;
    }
    lists_.push_back(std::make_unique<DeadlineList<Owner>>(timeout));
    return *lists_.back();
  }
  void expire(Clock::time_point now) {
    for (auto& l : lists_) l->expire(now);
  }

 private:
  std::vector<std::unique_ptr<DeadlineList<Owner>>> lists_;
};

}  // namespace surge::detail
