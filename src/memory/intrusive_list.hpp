#pragma once
// IntrusiveList: a doubly linked list through hooks in the elements themselves.

#include <cstddef>

namespace surge::detail {

/// Membership in one IntrusiveList. An element derives from it (once per list it can be in).
class ListHook {
 public:
  bool linked() const { return prev_ != nullptr || next_ != nullptr || head_of_ != nullptr; }

 protected:
  ListHook() = default;
  ~ListHook() = default;
  ListHook(const ListHook&) = delete;
  ListHook& operator=(const ListHook&) = delete;

 private:
  template <class T>
  friend class IntrusiveList;
  ListHook* prev_ = nullptr;
  ListHook* next_ = nullptr;
  const void* head_of_ = nullptr;  // the list whose head it is (prev_ is null then)
};

/// O(1) insertion and removal without allocation; the elements own their hooks. For a worker's
/// registry of live objects (every open session, whatever it waits for). Single-threaded.
template <class T>
class IntrusiveList final {
 public:
  IntrusiveList() = default;
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;

  bool empty() const { return head_ == nullptr; }
  std::size_t size() const { return size_; }
  T* front() const { return static_cast<T*>(head_); }
  static T* next(T& element) { return static_cast<T*>(static_cast<ListHook&>(element).next_); }

  void push_front(T& element) {
    ListHook& hook = element;
    hook.prev_ = nullptr;
    hook.next_ = head_;
    if (head_ != nullptr) {
      head_->prev_ = &hook;
      head_->head_of_ = nullptr;
    }
    hook.head_of_ = this;
    head_ = &hook;
    ++size_;
  }
  /// Takes element out; it must be in this list.
  void remove(T& element) {
    ListHook& hook = element;
    if (hook.prev_ != nullptr) {
      hook.prev_->next_ = hook.next_;
    } else {
      head_ = hook.next_;
      if (head_ != nullptr) head_->head_of_ = this;
    }
    if (hook.next_ != nullptr) hook.next_->prev_ = hook.prev_;
    hook.prev_ = hook.next_ = nullptr;
    hook.head_of_ = nullptr;
    --size_;
  }

 private:
  ListHook* head_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace surge::detail
