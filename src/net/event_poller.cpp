#include "net/event_poller.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include <boost/asio/detail/epoll_reactor.hpp>

namespace surge::detail {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// Asio keeps its epoll descriptor private. An explicit instantiation may name a private member
// (C++20 [temp.spec.general]/6), which lets this one function read it; Boost is pinned to
// Debian 12's 1.81, whose epoll_reactor has `int epoll_fd_`.
struct ReactorDescriptor {
  using type = int asio::detail::epoll_reactor::*;
  friend type member(ReactorDescriptor);
};
template <typename Tag, typename Tag::type Member>
struct Expose {
  friend typename Tag::type member(Tag) { return Member; }
};
template struct Expose<ReactorDescriptor, &asio::detail::epoll_reactor::epoll_fd_>;

error_code control(int epfd, int operation, int fd, std::uint32_t events, void* data) {
  epoll_event event{};
  event.events = events;
  event.data.ptr = data;
  if (::epoll_ctl(epfd, operation, fd, &event) != 0) return {errno, boost::system::system_category()};
  return {};
}

}  // namespace

EventPoller::EventPoller(asio::io_context& io, const LoopClock* clock)
    : io_(io), reactor_(asio::use_service<asio::detail::reactor>(io)), clock_(clock), now_(read_clock()) {
  // The reactor must be the io_context's task, or poll() would never look at its set.
  reactor_.init_task();
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  const int asio_fd = reactor_.*member(ReactorDescriptor{});
  // Level-triggered: readable for as long as Asio's set has something to collect.
  // Its event carries the poller's own address, which no target has.
  if (error_code ec = control(epfd_, EPOLL_CTL_ADD, asio_fd, EPOLLIN, this)) {
    ::close(epfd_);
    throw std::system_error(ec, "adding Asio's reactor to the worker's epoll set");
  }
  posted_.reserve(kMaxEvents);
  delivering_.reserve(kMaxEvents);
}

EventPoller::~EventPoller() { ::close(epfd_); }

error_code EventPoller::add(int fd, PollTarget& target) {
  return control(epfd_, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP | EPOLLET, &target);
}

error_code EventPoller::watch_output(int fd, PollTarget& target) {
  return control(epfd_, EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &target);
}

error_code EventPoller::retarget(int fd, PollTarget& target) {
  return control(epfd_, EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &target);
}

void EventPoller::remove(int fd) {
  epoll_event ignored{};
  ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, &ignored);
}

void EventPoller::post(PollTarget& target) { posted_.push_back(&target); }

void EventPoller::forget(PollTarget& target) {
  std::replace(posted_.begin(), posted_.end(), &target, static_cast<PollTarget*>(nullptr));
  std::replace(delivering_.begin(), delivering_.end(), &target, static_cast<PollTarget*>(nullptr));
}

void EventPoller::wake() {
  // Makes Asio's set readable (its interrupter's edge), hence this set.
  reactor_.interrupt();
}

void EventPoller::run() {
  refresh_time();
  io_.poll();
  while (!io_.stopped()) {
    // Targets waiting for another turn: look at the set without blocking.
    const int timeout = posted_.empty() ? -1 : 0;
    const int count = ::epoll_wait(epfd_, events_.data(), kMaxEvents, timeout);
    if (count < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "epoll_wait");
    }
    refresh_time();
    // From here to the end of the round, events_ may name any target of the set: a target
    // closed meanwhile, by a socket event or by Asio's work (a timer's deadline, a post), must
    // not be freed before the round ends, or a later event of the round would call freed memory.
    in_round_ = true;
    // Asio's work first, as its own loop would: what was posted before these events arrived
    // (a shutdown saying responses must close, say) runs before they are served. stopped()
    // takes the scheduler's mutex: asked only when Asio's work ran, and once per round in the
    // loop's condition (a target may stop the context while it is served).
    bool stopped = false;
    for (int i = 0; i < count; ++i) {
      if (events_[i].data.ptr == this) {
        io_.poll();  // handlers, expired timers; one epoll_wait(0) on Asio's set
        stopped = io_.stopped();
        break;
      }
    }
    if (!stopped) deliver(count);
    in_round_ = false;
    if (after_round_ != nullptr) after_round_(after_context_);
  }
}

void EventPoller::deliver(int count) {
  for (int i = 0; i < count; ++i) {
    void* data = events_[i].data.ptr;
    if (data != this) static_cast<PollTarget*>(data)->on_events(events_[i].events);
  }
  if (!posted_.empty()) {
    delivering_.swap(posted_);
    for (PollTarget* target : delivering_) {
      if (target != nullptr) target->on_events(0);
    }
    delivering_.clear();
  }
}

}  // namespace surge::detail
