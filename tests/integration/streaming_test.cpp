// Streamed bodies and worker-local answers, end to end over sockets: Context::stream_body (chunked
// or with a length, back-pressure, HEAD, HTTP/1.0, a client that leaves, a body cut short),
// Context::read_body (a body taken as it arrives, paused and resumed), Context::suspend.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <surge/context.hpp>
#include <surge/router.hpp>
#include <surge/stream.hpp>

#include "support/raw_client.hpp"
#include "support/test_server.hpp"

namespace surge::test {
namespace {

// Writes `count` pieces of `size` bytes ('a' + piece number % 26), then ends (or aborts after
// `abort_after` pieces). Deletes itself when done; the counters outlive it.
struct Counters {
  std::atomic<int> blocked{0};     // writes that said "stop"
  std::atomic<int> cancelled{0};
  std::atomic<int> finished{0};
};

class PieceWriter final : public BodyWriter {
 public:
  PieceWriter(int count, std::size_t size, Counters& counters, int abort_after = -1)
      : left_(count), size_(size), counters_(counters), abort_after_(abort_after) {}
  void on_writable(ResponseStream& stream) override {
    while (left_ > 0) {
      if (written_ == abort_after_) {
        stream.abort();
        ++counters_.finished;
        delete this;
        return;
      }
      const std::string piece(size_, static_cast<char>('a' + written_ % 26));
      --left_;
      ++written_;
      if (!stream.write(piece)) {
        ++counters_.blocked;
        return;  // on_writable comes again once the client has taken some
      }
    }
    ++counters_.finished;
    stream.end();
    delete this;
  }
  void on_cancel() override {
    ++counters_.cancelled;
    delete this;
  }

 private:
  int left_;
  int written_ = 0;
  std::size_t size_;
  Counters& counters_;
  int abort_after_;
};

std::string expected_body(int count, std::size_t size) {
  std::string body;
  for (int i = 0; i < count; ++i) body += std::string(size, static_cast<char>('a' + i % 26));
  return body;
}

// Reads a body as it arrives: its size, its pieces' largest size, and whether it may pause.
class CountingReader final : public BodyReader {
 public:
  CountingReader(Suspension* out, bool pause) : self_(out), pause_(pause) {}
  bool on_data(std::string_view piece) override {
    bytes_ += piece.size();
    largest_ = std::max(largest_, piece.size());
    for (char c : piece) checksum_ = checksum_ * 31 + static_cast<unsigned char>(c);
    ++pieces_;
    return !pause_;
  }
  void on_end() override {
    self_->context().text(200, std::to_string(bytes_) + " " + std::to_string(checksum_) + " " +
                                    std::to_string(largest_) + " " + std::to_string(pieces_));
    self_->resume();
    delete this;
  }
  void on_cancel() override { delete this; }

 private:
  Suspension* self_;
  bool pause_;
  std::size_t bytes_ = 0;
  std::size_t largest_ = 0;
  std::size_t pieces_ = 0;
  std::uint64_t checksum_ = 0;
};

std::uint64_t checksum_of(const std::string& body) {
  std::uint64_t sum = 0;
  for (char c : body) sum = sum * 31 + static_cast<unsigned char>(c);
  return sum;
}

class Streaming : public ::testing::Test {
 protected:
  // Everything below runs on the server's one worker thread; the test thread only reads the
  // atomics.
  Router router() {
    Router r;
    r.get("/stream", [this](Context& ctx) {
      ctx.response().set_content_type("text/plain");
      ctx.stream_body(*new PieceWriter(count_, size_, counters_));
    });
    r.get("/sized", [this](Context& ctx) {
      ctx.stream_body(*new PieceWriter(count_, size_, counters_), static_cast<std::uint64_t>(count_) * size_);
    });
    r.get("/cut", [this](Context& ctx) { ctx.stream_body(*new PieceWriter(count_, size_, counters_, 3)); });
    r.get("/path/*rest", [](Context& ctx) { ctx.text(200, ctx.request().path()); });
    RouteOptions streamed;
    streamed.stream_body = true;
    streamed.max_body_bytes = 64u << 20;
    r.post("/upload", [this](Context& ctx) {
      suspension_ = ctx.read_body(*new CountingReader(&suspension_, false));
    }, streamed);
    r.post("/upload-paused", [this](Context& ctx) {
      suspension_ = ctx.read_body(*new CountingReader(&suspension_, true));
    }, streamed);
    r.get("/read-more", [this](Context& ctx) {
      suspension_.read_more();
      ctx.text(200, suspension_.active() ? "reading\n" : "nothing waits\n");
    });
    r.get("/suspend", [this](Context& ctx) { suspension_ = ctx.suspend(); });
    r.get("/wake", [this](Context& ctx) {
      const bool waiting = suspension_.active();
      if (waiting) {
        suspension_.context().text(200, "woken by another request\n");
        suspension_.resume();
      }
      ctx.text(200, waiting ? "woke it\n" : "nothing waits\n");
    });
    return r;
  }
  ServerConfig config() {
    ServerConfig c = test_config();
    c.timeouts.handler = std::chrono::minutes(1);
    return c;
  }

  int count_ = 1024;
  std::size_t size_ = 8192;
  Counters counters_;
  Suspension suspension_;
};

TEST_F(Streaming, AStreamOfUnknownLengthGoesChunkedWithBackPressure) {
  TestServer server(config(), router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/stream")));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the socket buffers fill
  auto r = client.read_response(20s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->chunks);
  EXPECT_FALSE(r->header("Content-Length"));
  EXPECT_EQ(r->body, expected_body(count_, size_));
  EXPECT_GT(counters_.blocked.load(), 0) << "8 MiB never filled the socket buffers?";
  EXPECT_EQ(counters_.finished.load(), 1);
  // The connection goes on.
  ASSERT_TRUE(client.send(get("/path/after")));
  EXPECT_EQ(client.read_response()->body, "/path/after");
}

TEST_F(Streaming, AStreamOfKnownLengthIsAnnouncedWithContentLength) {
  TestServer server(config(), router());
  auto r = fetch(server.port(), get("/sized"), 20s);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->chunks);
  EXPECT_EQ(r->header("Content-Length"), std::to_string(count_ * size_));
  EXPECT_EQ(r->body, expected_body(count_, size_));
}

TEST_F(Streaming, AnHttp10ClientGetsTheStreamUntilTheConnectionCloses) {
  count_ = 10;
  TestServer server(config(), router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send("GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  const std::string all = client.read_until_closed(10s);
  EXPECT_TRUE(client.peer_closed());
  EXPECT_EQ(all.find("Transfer-Encoding"), std::string::npos);
  EXPECT_NE(all.find("Connection: close"), std::string::npos);
  EXPECT_EQ(all.substr(all.find("\r\n\r\n") + 4), expected_body(count_, size_));
}

TEST_F(Streaming, HeadOfAStreamedResponseSendsNoBodyAndCancelsTheWriter) {
  TestServer server(config(), router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send("HEAD /stream HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto r = client.read_response(5s, /*head=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("Transfer-Encoding"), "chunked");
  ASSERT_TRUE(client.send(get("/path/next")));
  EXPECT_EQ(client.read_response()->body, "/path/next");  // nothing of a body came in between
  EXPECT_EQ(counters_.cancelled.load(), 1);
}

TEST_F(Streaming, PipelinedRequestsBehindAStreamedResponseStayInOrder) {
  count_ = 200;
  TestServer server(config(), router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/path/1") + get("/stream") + get("/path/2")));
  EXPECT_EQ(client.read_response()->body, "/path/1");
  auto streamed = client.read_response(20s);
  ASSERT_TRUE(streamed);
  EXPECT_EQ(streamed->body, expected_body(count_, size_));
  EXPECT_EQ(client.read_response()->body, "/path/2");
}

TEST_F(Streaming, AClientThatLeavesMidStreamCancelsTheWriter) {
  TestServer server(config(), router());
  {
    RawClient client(server.port());
    ASSERT_TRUE(client.send(get("/stream")));
    EXPECT_FALSE(client.read_some(5s).empty());
  }  // closed with most of the body unread
  for (int i = 0; i < 500 && counters_.cancelled.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(counters_.cancelled.load(), 1);
  EXPECT_EQ(counters_.finished.load(), 0);
}

// The writer gives up after 3 pieces: the client sees the connection close without the last
// chunk, never a complete-looking response.
TEST_F(Streaming, AStreamCutShortEndsTheConnectionBeforeTheBodyEnds) {
  count_ = 10;
  size_ = 100;
  TestServer server(config(), router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/cut")));
  EXPECT_FALSE(client.read_response(5s));  // no complete response
  EXPECT_TRUE(client.peer_closed());
}

TEST_F(Streaming, ARequestBodyIsTakenAsItArrivesWithoutGrowingTheBuffer) {
  TestServer server(config(), router());
  const std::string body = expected_body(2000, 8192);  // 16 MiB
  for (bool chunked : {false, true}) {
    RawClient client(server.port());
    std::string request = "POST /upload HTTP/1.1\r\nHost: t\r\n";
    if (chunked) {
      request += "Transfer-Encoding: chunked\r\n\r\n";
      ASSERT_TRUE(client.send(request));
      for (std::size_t at = 0; at < body.size(); at += 65536) {
        const std::string piece = body.substr(at, 65536);
        char size[16];
        std::snprintf(size, sizeof(size), "%zx\r\n", piece.size());
        ASSERT_TRUE(client.send(size + piece + "\r\n"));
      }
      ASSERT_TRUE(client.send("0\r\n\r\n"));
    } else {
      ASSERT_TRUE(client.send(request + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
      ASSERT_TRUE(client.send(body));
    }
    auto r = client.read_response(20s);
    ASSERT_TRUE(r) << chunked;
    std::size_t bytes = 0, largest = 0, pieces = 0;
    std::uint64_t sum = 0;
    ASSERT_EQ(r->status, 200) << chunked << " " << r->body;
    std::sscanf(r->body.c_str(), "%zu %lu %zu %zu", &bytes, &sum, &largest, &pieces);
    EXPECT_EQ(bytes, body.size()) << chunked;
    EXPECT_EQ(sum, checksum_of(body)) << chunked;
    // Each piece is what one read brought: the read buffer never held the body.
    EXPECT_LE(largest, 64u * 1024) << chunked;
    EXPECT_GT(pieces, 100u) << chunked;
  }
}

// The reader pauses after each piece; nothing more is read (the client is held back) until
// another request on the same worker says read_more().
TEST_F(Streaming, APausedRequestBodyIsReadOnlyWhenResumed) {
  TestServer server(config(), router());
  RawClient client(server.port());
  ASSERT_TRUE(client.send("POST /upload-paused HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\n\r\nab"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(client.send("cd"));
  EXPECT_EQ(client.read_some(std::chrono::milliseconds(100)), "");  // paused: no answer
  ASSERT_TRUE(client.send("ef"));
  for (int i = 0; i < 20; ++i) {
    auto r = fetch(server.port(), get("/read-more"));
    ASSERT_TRUE(r);
    if (r->body == "nothing waits\n") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body.substr(0, 2), "6 ");
}

TEST_F(Streaming, ASuspendedRequestIsAnsweredByCodeOnItsOwnWorker) {
  TestServer server(config(), router());
  RawClient waiting(server.port());
  ASSERT_TRUE(waiting.send(get("/suspend")));
  std::optional<HttpResponse> woke;
  for (int i = 0; i < 100; ++i) {  // until the suspended request has reached its handler
    woke = fetch(server.port(), get("/wake"));
    ASSERT_TRUE(woke);
    if (woke->body == "woke it\n") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(woke->body, "woke it\n");
  auto r = waiting.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "woken by another request\n");
}

TEST_F(Streaming, ASuspendedRequestPastItsDeadlineGets504) {
  ServerConfig c = config();
  c.timeouts.handler = std::chrono::milliseconds(100);
  TestServer server(c, router());
  RawClient waiting(server.port());
  ASSERT_TRUE(waiting.send(get("/suspend")));
  auto r = waiting.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  auto late = fetch(server.port(), get("/wake"));
  ASSERT_TRUE(late);
  EXPECT_EQ(late->body, "nothing waits\n");
}

}  // namespace
}  // namespace surge::test
