#include "server/request_input.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <boost/beast/http/error.hpp>

namespace surge::detail {
namespace {

using boost::beast::http::error::need_more;

// A parser over a RequestInput, fed the way a session feeds it.
struct Reading {
  ParserLimits limits;
  std::vector<HeaderEntry> headers = std::vector<HeaderEntry>(limits.max_header_count);
  SlabPool pool{4096, 8};
  RequestInput input{&pool};
  std::optional<RequestParser> parser;

  Reading() { parser.emplace(limits, headers.data()); }
  void arrive(std::string_view bytes) {
    std::size_t room = 0;
    while (!bytes.empty()) {
      char* into = input.read_room(room);
      const std::size_t n = std::min(room, bytes.size());
      std::memcpy(into, bytes.data(), n);
      input.commit(n);
      bytes.remove_prefix(n);
    }
  }
  boost::system::error_code parse() {
    boost::system::error_code ec;
    input.parse(*parser, ec);
    return ec;
  }
};

TEST(RequestInput, ParsesPipelinedRequestsInPlaceAndStartsOverWhenDrained) {
  Reading r;
  r.arrive("GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\nX-Longer-Than-The-First: yes\r\n\r\n");
  EXPECT_FALSE(r.parse());
  EXPECT_TRUE(r.parser->done());
  EXPECT_FALSE(r.input.drained());
  r.input.finish_request();  // the rest is larger than what was answered: nothing moves
  EXPECT_EQ(r.input.position(), 28u);
  r.parser.emplace(r.limits, r.headers.data());
  EXPECT_FALSE(r.parse());
  EXPECT_EQ(r.parser->head().path.in(r.input.data()) , "/b");
  r.input.finish_request();
  EXPECT_EQ(r.input.size(), 0u);
  EXPECT_EQ(r.input.position(), 0u);
}

TEST(RequestInput, MovesTheRestToTheFrontOnceTheAnsweredBytesAreTheLargerPart) {
  Reading r;
  r.arrive("GET /a HTTP/1.1\r\nHost: t\r\nX-Longer-Than-The-Next: yes\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_FALSE(r.parse());
  r.input.finish_request();
  EXPECT_EQ(r.input.position(), 0u);
  EXPECT_EQ(std::string(r.input.data(), r.input.size()), "GET /b HTTP/1.1\r\nHost: t\r\n\r\n");
  r.parser.emplace(r.limits, r.headers.data());
  EXPECT_FALSE(r.parse());
  EXPECT_EQ(r.parser->head().path.in(r.input.data()), "/b");
}

// parse() stops right after the header section (the session routes before any body byte).
TEST(RequestInput, ReservesRoomForAContentLengthBodyAtOnce) {
  Reading r;
  r.arrive("POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 20000\r\n\r\n");
  EXPECT_FALSE(r.parse());
  EXPECT_FALSE(r.parser->done());
  ASSERT_TRUE(r.parser->header_done());
  r.input.reserve_body(*r.parser);
  EXPECT_GE(r.input.capacity() - r.input.size(), 20000u);
}

TEST(RequestInput, MovesAPartialPipelinedRequestToTheFrontInsteadOfGrowing) {
  Reading r;
  std::string pipelined;
  while (pipelined.size() < 3400) pipelined += "GET /a HTTP/1.1\r\nHost: t\r\n\r\n";
  r.arrive(pipelined + "GET /partial HTTP/1.1\r\nHost:");
  while (!r.parse()) {
    r.parser.emplace(r.limits, r.headers.data());
  }
  const std::size_t capacity = r.input.capacity();
  ASSERT_EQ(r.input.make_room(*r.parser, r.limits.max_header_bytes), RequestInput::Room::kRestart);
  EXPECT_EQ(r.input.position(), 0u);
  EXPECT_EQ(std::string(r.input.data(), r.input.size()), "GET /partial HTTP/1.1\r\nHost:");
  EXPECT_EQ(r.input.capacity(), capacity);
}

TEST(RequestInput, ReclaimsChunkFramingAndStopsAtTheRequestsOwnLimit) {
  Reading r;
  r.arrive("POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_FALSE(r.parse());
  ASSERT_TRUE(r.parser->header_done());
  r.parser->limit_body(3000);  // a route's own limit
  std::size_t fed = 0;
  RequestInput::Room room = RequestInput::Room::kReady;
  while (room == RequestInput::Room::kReady && fed < 10000) {
    r.arrive("a\r\n0123456789\r\n");
    fed += 10;
    if (r.parse() != need_more) break;
    room = r.input.make_room(*r.parser, r.limits.max_header_bytes);
  }
  // Only the decoded bytes stay: the framing is reclaimed, the buffer holds about the body.
  EXPECT_LT(r.input.size(), 3000u + 8192u);
  EXPECT_GT(fed, 2000u);
}

// The fuzzer's finding: answered pipelined requests in front of a request's header are not its
// bytes, so they must not count against its body limit.
TEST(RequestInput, ABodyWithinItsLimitBehindPipelinedRequestsIsNotRefused) {
  Reading r;
  r.limits.max_header_bytes = 256;
  r.limits.max_body_bytes = 64;
  r.parser.emplace(r.limits, r.headers.data());
  std::string pipelined;
  for (int i = 0; i < 112; ++i) pipelined += "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  r.arrive(pipelined + "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 60\r\n\r\n12345");
  for (int i = 0; i < 112; ++i) {
    ASSERT_FALSE(r.parse());
    r.parser.emplace(r.limits, r.headers.data());
  }
  EXPECT_FALSE(r.parse());
  ASSERT_TRUE(r.parser->header_done());
  const boost::system::error_code ec = r.parse();  // the 5 body bytes there are
  EXPECT_TRUE(!ec || ec == need_more) << ec.message();
  EXPECT_FALSE(r.parser->done());
  EXPECT_NE(r.input.make_room(*r.parser, r.limits.max_header_bytes), RequestInput::Room::kFull);
}

// A burst of pipelined requests with bodies: the answered ones make way, so the buffer stays
// about one request's size instead of the burst's.
TEST(RequestInput, APipelinedBurstDoesNotGrowTheBufferPastOneRequest) {
  Reading r;
  const std::string post = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'b');
  std::string burst;
  for (int i = 0; i < 600; ++i) burst += post;
  std::size_t largest = 0;
  int served = 0;
  // Read 1500 bytes at a time: the buffer never ends exactly at a request's end.
  for (std::size_t at = 0; at < burst.size(); at += 1500) {
    r.arrive(std::string_view(burst).substr(at, 1500));
    for (;;) {
      boost::system::error_code ec = r.parse();
      if (ec == need_more) {
        const RequestInput::Room room = r.input.make_room(*r.parser, r.limits.max_header_bytes);
        ASSERT_NE(room, RequestInput::Room::kFull);
        if (room == RequestInput::Room::kRestart) r.parser.emplace(r.limits, r.headers.data());
        break;
      }
      ASSERT_FALSE(ec);
      if (!r.parser->done()) continue;  // the header: its body follows
      ++served;
      r.input.finish_request();
      r.parser.emplace(r.limits, r.headers.data());
    }
    largest = std::max(largest, r.input.capacity());
  }
  EXPECT_EQ(served, 600);
  EXPECT_LE(largest, 8u * 1024);
}

TEST(RequestInput, AStreamedBodyLeavesAsItIsTaken) {
  Reading r;
  r.arrive("POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_FALSE(r.parse());
  ASSERT_TRUE(r.parser->header_done());
  const std::size_t header_end = r.input.position();
  std::string taken;
  for (int i = 0; i < 1000; ++i) {
    r.arrive("5\r\nhello\r\n");
    EXPECT_EQ(r.parse(), need_more);
    taken += std::string(r.parser->head().body.in(r.input.data()));
    r.input.consume_body(*r.parser);
    EXPECT_EQ(r.input.position(), header_end);
  }
  r.arrive("0\r\n\r\nGET /next HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_FALSE(r.parse());
  EXPECT_TRUE(r.parser->done());
  EXPECT_EQ(taken.size(), 5000u);
  EXPECT_LE(r.input.size(), 4096u);  // never more than what was read at once
  r.parser.emplace(r.limits, r.headers.data());
  EXPECT_FALSE(r.parse());
  EXPECT_EQ(r.parser->head().path.in(r.input.data()), "/next");
}

}  // namespace
}  // namespace surge::detail
