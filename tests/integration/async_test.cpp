// Asynchronous answers: Context::defer, Context::offload, and their deadlines, over sockets.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <surge/builtin_middleware.hpp>

#include "support/raw_client.hpp"
#include "support/test_server.hpp"

namespace surge::test {
namespace {

// Threads that resume Deferreds later, joined when the test ends (or when it waits for them).
class Resumer {
 public:
  ~Resumer() { join(); }
  void later(Deferred deferred, std::chrono::milliseconds delay, std::string body) {
    auto shared = std::make_shared<Deferred>(std::move(deferred));
    std::lock_guard lock(mutex_);
    threads_.emplace_back([shared, delay, body] {
      std::this_thread::sleep_for(delay);
      shared->resume([body](Context& ctx) { ctx.text(200, body); });
    });
  }
  /// Waits until every resume so far has been made.
  void join() {
    std::lock_guard lock(mutex_);
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

// Counts events another thread reports, and lets the test wait for a number of them.
class Counter {
 public:
  void add() {
    std::lock_guard lock(mutex_);
    ++count_;
    changed_.notify_all();
  }
  /// Whether count reached n within 5 s.
  bool wait_for(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 5s, [&] { return count_ >= n; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int count_ = 0;
};

// A gate offloaded work waits on, so a test can fill the offload queue.
class Gate {
 public:
  void wait() {
    std::unique_lock lock(mutex_);
    open_cv_.wait(lock, [&] { return open_; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    open_cv_.notify_all();
  }
  /// Opens the gate when it goes out of scope: declared after the server, it runs before the
  /// server's destructor waits for the offload threads, even when an assertion returns early.
  struct OpenOnExit {
    Gate& gate;
    ~OpenOnExit() { gate.open(); }
  };

 private:
  std::mutex mutex_;
  std::condition_variable open_cv_;
  bool open_ = false;
};

class Async : public ::testing::Test {
 protected:
  Router router() {
    Router r;
    r.get("/defer", [this](Context& ctx) {
      resumer_.later(ctx.defer(), 50ms, "deferred");
      handled_.add();
    });
    r.get("/late", [this](Context& ctx) { resumer_.later(ctx.defer(), 1500ms, "too late"); },
          RouteOptions{.timeout = 100ms});
    r.get("/drop", [](Context& ctx) { Deferred dropped = ctx.defer(); });
    r.group("/guarded", {make_timeout(100ms)})
        .get("/late", [this](Context& ctx) { resumer_.later(ctx.defer(), 1500ms, "too late"); });
    r.get("/offload", [](Context& ctx) {
      ctx.offload([] { std::this_thread::sleep_for(20ms); },
                  [](Context& c) { c.text(200, "offloaded"); });
    });
    r.get("/offload-gated", [this](Context& ctx) {
      if (ctx.offload([this] {
            started_.add();
            gate_.wait();
          },
                      [](Context& c) { c.text(200, "gated"); })) {
        handled_.add();
      }
    });
    r.get("/offload-throws", [](Context& ctx) {
      ctx.offload([] { throw std::runtime_error("boom"); }, [](Context& c) { c.text(200, "never"); });
    });
    r.get("/path/*rest", [](Context& ctx) { ctx.text(200, ctx.request().path()); });
    return r;
  }
  ServerConfig config() {
    ServerConfig c = test_config();
    c.offload.threads = 1;
    c.offload.queue = 2;
    return c;
  }
  Resumer resumer_;
  Gate gate_;
  Counter handled_;  // requests whose handler ran (and deferred or offloaded)
  Counter started_;  // offloaded jobs that began on the pool
};

TEST_F(Async, ADeferredAnswerArrivesFromAnotherThread) {
  TestServer server(config(), router());
  auto r = fetch(server.port(), get("/defer"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "deferred");
}

TEST_F(Async, PipelinedRequestsBehindADeferredOneStayInOrder) {
  TestServer server(config(), router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/path/1") + get("/defer") + get("/path/2")));
  EXPECT_EQ(client.read_response()->body, "/path/1");
  EXPECT_EQ(client.read_response()->body, "deferred");
  EXPECT_EQ(client.read_response()->body, "/path/2");
}

TEST_F(Async, PastItsDeadlineARequestGets504AndTheLateAnswerIsDropped) {
  TestServer server(config(), router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/late")));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  // The connection goes on; the late completion (1.5 s) must not write into it.
  ASSERT_TRUE(client.send(get("/path/after")));
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "/path/after");
  resumer_.join();  // the late completion has been made
  ASSERT_TRUE(client.send(get("/path/again")));
  auto again = client.read_response();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, "/path/again");  // not "too late"
}

TEST_F(Async, ATimeoutMiddlewareSetsTheDeadlineForAGroup) {
  TestServer server(config(), router());
  auto r = fetch(server.port(), get("/guarded/late"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  EXPECT_NE(r->body.find("in time"), std::string::npos);
}

TEST_F(Async, ADroppedDeferredAnswers500) {
  TestServer server(config(), router());
  auto r = fetch(server.port(), get("/drop"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
}

TEST_F(Async, OffloadedWorkCompletesOnTheWorker) {
  TestServer server(config(), router());
  auto r = fetch(server.port(), get("/offload"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "offloaded");
  auto failed = fetch(server.port(), get("/offload-throws"));
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 500);
}

TEST_F(Async, AFullOffloadQueueAnswers503AtOnce) {
  TestServer server(config(), router());
  Gate::OpenOnExit open_on_exit{gate_};
  // One thread busy (waiting at the gate) and two queued fill the pool; the fourth is refused.
  std::vector<std::unique_ptr<RawClient>> waiting;
  for (int i = 0; i < 3; ++i) {
    waiting.push_back(std::make_unique<RawClient>(server.port()));
    ASSERT_TRUE(waiting.back()->send(get("/offload-gated")));
    // The thread must have taken the first job before the others come, or on a busy machine the
    // third finds the queue full and is refused itself.
    if (i == 0) ASSERT_TRUE(started_.wait_for(1));
  }
  ASSERT_TRUE(handled_.wait_for(3));  // all three are in the pool, one running, two queued
  auto refused = fetch(server.port(), get("/offload-gated"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->header("Retry-After"), "1");
  gate_.open();
  for (auto& client : waiting) {
    auto r = client->read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "gated");
  }
}

TEST_F(Async, ShutdownWaitsForADeferredAnswer) {
  ServerConfig c = config();
  c.shutdown.drain_delay = 0ms;
  TestServer server(c, router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/defer")));
  ASSERT_TRUE(handled_.wait_for(1));  // the request waits for its answer
  server.server().shutdown();
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "deferred");
  EXPECT_TRUE(r->closes());
  server.server().wait();
}

TEST_F(Async, ADeferredThatOutlivesTheServerResumesIntoNothing) {
  std::shared_ptr<Deferred> kept;
  {
    Router r;
    r.get("/keep", [this, &kept](Context& ctx) {
      kept = std::make_shared<Deferred>(ctx.defer());
      handled_.add();
    });
    ServerConfig c = config();
    c.shutdown.timeout = 50ms;
    TestServer server(c, r);
    RawClient client(server.port());
    ASSERT_TRUE(client.send(get("/keep")));
    ASSERT_TRUE(handled_.wait_for(1));  // also orders the write of `kept` before the reads below
    ASSERT_TRUE(kept);
    server.server().shutdown();
  }  // the server is gone; the Deferred is not
  EXPECT_TRUE(kept->resume([](Context& ctx) { ctx.text(200, "nobody is listening"); }));
  kept.reset();  // and dropping one after the server is gone is harmless too
}

TEST_F(Async, TheShutdownTimeoutForceClosesADeferredRequest) {
  ServerConfig c = config();
  c.shutdown.drain_delay = 0ms;
  c.shutdown.timeout = 100ms;
  TestServer server(c, router());
  Gate::OpenOnExit open_on_exit{gate_};
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/offload-gated")));
  ASSERT_TRUE(started_.wait_for(1));  // the job runs on the pool: the request waits
  server.server().shutdown();
  server.server().wait();  // returns: the deferred connection was force-closed
  EXPECT_TRUE(client.wait_closed());
  gate_.open();  // the offloaded job ends; its answer has nowhere to go
}

}  // namespace
}  // namespace surge::test
