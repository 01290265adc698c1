#include "server/event_poller.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

namespace surge::detail {

namespace asio = boost::asio;
using boost::system::error_code;

/// The reactor operation that collects the set's events. Asio performs it when its epoll reports
/// the set's descriptor ready (and speculatively when it is started after a full harvest); it is
/// done once it collected something. It belongs to the poller and is reused for every wait.
class EventPoller::WaitOp final : public asio::detail::reactor_op {
 public:
  explicit WaitOp(EventPoller& poller)
      : reactor_op(error_code(), &WaitOp::do_perform, &WaitOp::do_complete), poller_(poller) {}

 private:
  static status do_perform(reactor_op* base) {
    auto* op = static_cast<WaitOp*>(base);
    op->count_ = op->poller_.harvest(op->ec_);
    if (op->ec_) return done;
    if (op->count_ == 0) return not_done;
    // Fewer than asked for: the set is drained, and only a new edge can bring more.
    return op->count_ < kMaxEvents ? done_and_exhausted : done;
  }

  static void do_complete(void* owner, asio::detail::operation* base, const error_code&,
                          std::size_t) {
    // owner is null when the io_context destroys the operation unrun: the memory is ours.
    if (owner == nullptr) return;
    auto* op = static_cast<WaitOp*>(base);
    const error_code ec = op->ec_;  // set by do_perform, or operation_aborted by cancel_ops
    const int count = op->count_;
    op->ec_ = {};
    op->count_ = 0;
    op->poller_.on_ready(ec, count);
  }

  EventPoller& poller_;
  int count_ = 0;
};

EventPoller::EventPoller(asio::io_context& io)
    : io_(io),
      reactor_(asio::use_service<asio::detail::reactor>(io)),
      op_(std::make_unique<WaitOp>(*this)) {
  reactor_.init_task();
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  if (const int error = reactor_.register_descriptor(epfd_, reactor_data_); error != 0) {
    ::close(epfd_);
    throw std::system_error(error, std::generic_category(), "registering the epoll set with Asio");
  }
  posted_.reserve(kMaxEvents);
  delivering_.reserve(kMaxEvents);
}

EventPoller::~EventPoller() {
  // Still queued somewhere in the io_context (stop() was not followed by a turn of it): leaked
  // rather than freed under it.
  if (waiting_) static_cast<void>(op_.release());
  reactor_.deregister_descriptor(epfd_, reactor_data_, true);
  reactor_.cleanup_descriptor_data(reactor_data_);
  ::close(epfd_);
}

namespace {

error_code control(int epfd, int operation, int fd, std::uint32_t events, PollTarget& target) {
  epoll_event event{};
  event.events = events;
  event.data.ptr = &target;
  if (::epoll_ctl(epfd, operation, fd, &event) != 0) return {errno, boost::system::system_category()};
  return {};
}

}  // namespace

error_code EventPoller::add(int fd, PollTarget& target) {
  return control(epfd_, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP | EPOLLET, target);
}

error_code EventPoller::watch_output(int fd, PollTarget& target) {
  return control(epfd_, EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, target);
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

void EventPoller::start() {
  if (started_) return;
  started_ = true;
  wait();
}

void EventPoller::stop() {
  stopped_ = true;
  if (waiting_) reactor_.cancel_ops(epfd_, reactor_data_);
}

void EventPoller::wait() {
  if (stopped_) return;
  if (!posted_.empty()) {
    // Targets wait for another turn: come back after the handlers already queued, with or
    // without a new edge.
    asio::post(io_, asio::bind_allocator(SlotAllocator<void>(slot_), [this] { resume(); }));
    return;
  }
  waiting_ = true;
  reactor_.start_op(asio::detail::reactor::read_op, epfd_, reactor_data_, op_.get(),
                    /*is_continuation=*/true, /*allow_speculative=*/true);
}

void EventPoller::on_ready(const error_code& ec, int count) {
  waiting_ = false;
  if (stopped_ || ec) return;  // stopped; any other error is a bug in how the set is used
  deliver(count);
  wait();
}

void EventPoller::resume() {
  if (stopped_) return;
  error_code ec;
  const int count = harvest(ec);
  if (ec) return;
  deliver(count);
  if (count == kMaxEvents && posted_.empty()) {
    // Not drained, and the reactor may not look again without a new edge: harvest once more.
    asio::post(io_, asio::bind_allocator(SlotAllocator<void>(slot_), [this] { resume(); }));
    return;
  }
  wait();
}

int EventPoller::harvest(error_code& ec) {
  for (;;) {
    const int n = ::epoll_wait(epfd_, events_.data(), kMaxEvents, 0);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    ec.assign(errno, boost::system::system_category());
    return 0;
  }
}

void EventPoller::deliver(int count) {
  dispatching_ = true;
  for (int i = 0; i < count; ++i) {
    static_cast<PollTarget*>(events_[i].data.ptr)->on_events(events_[i].events);
  }
  if (!posted_.empty()) {
    delivering_.swap(posted_);
    for (PollTarget* target : delivering_) {
      if (target != nullptr) target->on_events(0);
    }
    delivering_.clear();
  }
  dispatching_ = false;
  if (after_batch_ != nullptr) after_batch_(after_context_);
}

}  // namespace surge::detail
