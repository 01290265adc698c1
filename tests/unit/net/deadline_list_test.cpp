#include "net/deadline_list.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace surge::detail {
namespace {

using namespace std::chrono_literals;

struct Waiter final : DeadlineHook {
  explicit Waiter(std::string n, std::vector<std::string>* log = nullptr) : name(std::move(n)), expired(log) {}
  void on_deadline() {
    if (expired != nullptr) expired->push_back(name);
  }
  std::string name;
  std::vector<std::string>* expired;
};

const Clock::time_point t0{};

TEST(DeadlineList, ExpiresInDeadlineOrderOnlyWhatIsDue) {
  std::vector<std::string> log;
  DeadlineList<Waiter> list(100ms);
  Waiter a("a", &log), b("b", &log), c("c", &log);
  list.arm(a, t0);
  list.arm(b, t0 + 10ms);
  list.arm(c, t0 + 20ms);
  list.expire(t0 + 99ms);
  EXPECT_TRUE(log.empty());
  list.expire(t0 + 110ms);
  EXPECT_EQ(log, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(a.armed());
  EXPECT_TRUE(c.armed());
  EXPECT_EQ(c.deadline(), t0 + 120ms);
}

TEST(DeadlineList, RearmingMovesToTheTailAndDisarmingTakesOut) {
  std::vector<std::string> log;
  DeadlineList<Waiter> list(100ms);
  Waiter a("a", &log), b("b", &log);
  list.arm(a, t0);
  list.arm(b, t0);
  list.arm(a, t0 + 50ms);  // a's wait begins again
  EXPECT_EQ(list.front(), &b);
  EXPECT_EQ(DeadlineList<Waiter>::after(b), &a);
  b.disarm();
  EXPECT_EQ(list.front(), &a);
  list.expire(t0 + 140ms);
  EXPECT_TRUE(log.empty());
  list.expire(t0 + 150ms);
  EXPECT_EQ(log, std::vector<std::string>{"a"});
  EXPECT_TRUE(list.empty());
}

TEST(DeadlineList, AHookIsInOneListAtATimeAndCanMoveKeepingItsDeadline) {
  DeadlineList<Waiter> hot(100ms), parked(100ms);
  Waiter a("a");
  hot.arm(a, t0);
  parked.move_here(a);
  EXPECT_TRUE(hot.empty());
  EXPECT_EQ(a.list(), &parked);
  EXPECT_EQ(a.deadline(), t0 + 100ms);
}

TEST(DeadlineList, AnOwnerMayReArmItselfOrGoWhileExpiring) {
  DeadlineList<Waiter> list(10ms);
  struct Rearming final : DeadlineHook {
    DeadlineList<Rearming>* list = nullptr;
    int calls = 0;
    void on_deadline() {
      if (++calls == 1) list->arm(*this, t0 + 100ms);
    }
  };
  DeadlineList<Rearming> own(10ms);
  Rearming r;
  r.list = &own;
  own.arm(r, t0);
  own.expire(t0 + 10ms);
  EXPECT_EQ(r.calls, 1);
  EXPECT_TRUE(r.armed());
  own.expire(t0 + 110ms);
  EXPECT_EQ(r.calls, 2);
  EXPECT_FALSE(r.armed());
  {
    Waiter gone("gone");
    list.arm(gone, t0);
  }  // destroyed while armed: it leaves the list
  EXPECT_TRUE(list.empty());
}

}  // namespace
}  // namespace surge::detail
