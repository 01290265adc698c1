#include "net/deadline_list.hpp"

namespace surge::detail {

void DeadlineHook::disarm() {
  if (list_ != nullptr) list_->unlink(*this);
}

DeadlineListBase::~DeadlineListBase() {
  while (head_ != nullptr) unlink(*head_);
}

void DeadlineListBase::link_at(DeadlineHook& hook, Clock::time_point deadline) {
  hook.disarm();
  hook.deadline_ = deadline;
  hook.list_ = this;
  hook.prev_ = tail_;
  hook.next_ = nullptr;
  if (tail_ != nullptr) {
    tail_->next_ = &hook;
  } else {
    head_ = &hook;
  }
  tail_ = &hook;
}

void DeadlineListBase::unlink(DeadlineHook& hook) {
  if (hook.prev_ != nullptr) {
    hook.prev_->next_ = hook.next_;
  } else {
    head_ = hook.next_;
  }
  if (hook.next_ != nullptr) {
    hook.next_->prev_ = hook.prev_;
  } else {
    tail_ = hook.prev_;
  }
  hook.prev_ = hook.next_ = nullptr;
  hook.list_ = nullptr;
}

DeadlineHook* DeadlineListBase::pop_expired(Clock::time_point now) {
  DeadlineHook* hook = head_;
  if (hook == nullptr || hook->deadline_ > now) return nullptr;
  unlink(*hook);
  return hook;
}

}  // namespace surge::detail
