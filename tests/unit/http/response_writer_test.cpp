#include "http/response_writer.hpp"

#include <gtest/gtest.h>

#include "http/exchange.hpp"

namespace surge::detail {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

class ResponseWriterTest : public ::testing::Test {
 protected:
  DateCache date_{system_clock::time_point(seconds(784111777))};
  ParserLimits limits_;
  Exchange exchange_{limits_, nullptr};
  ByteBuffer out_;

  void SetUp() override {
    exchange_.begin(nullptr, nullptr, 0);
  }
};

TEST_F(ResponseWriterTest, WritesStatusEngineFieldsAndBody) {
  ResponseWriter writer("surge", date_);
  exchange_.context().text(200, "Hello, World!");
  writer.write(out_, exchange_.response(), {});
  EXPECT_EQ(out_.view(),
            "HTTP/1.1 200 OK\r\nServer: surge\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\n\r\nHello, World!");
}

TEST_F(ResponseWriterTest, HeadGetsContentLengthButNoBody) {
  ResponseWriter writer("", date_);
  exchange_.context().json_raw(200, "{}");
  writer.write(out_, exchange_.response(), {.head_request = true});
  EXPECT_EQ(out_.view(),
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n");
}

TEST_F(ResponseWriterTest, SaysCloseOrKeepAliveWhenItMustAndAddsHandlerFields) {
  ResponseWriter writer("", date_);
  exchange_.context().response().set_status(201);
  EXPECT_TRUE(exchange_.context().response().add_header("Location", "/users/7"));
  writer.write(out_, exchange_.response(), {.close = true});
  EXPECT_EQ(out_.view(),
            "HTTP/1.1 201 Created\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 0\r\n"
            "Location: /users/7\r\nConnection: close\r\n\r\n");
  out_.clear();
  writer.write(out_, exchange_.response(), {.http10_keep_alive = true});
  EXPECT_NE(out_.view().find("Connection: keep-alive\r\n"), std::string_view::npos);
}

TEST_F(ResponseWriterTest, NoContentLengthOrBodyFor204And304) {
  ResponseWriter writer("", date_);
  for (int status : {204, 304}) {
    out_.clear();
    exchange_.response().clear();
    exchange_.context().text(status, "ignored");
    writer.write(out_, exchange_.response(), {});
    EXPECT_EQ(out_.view().find("Content-Length"), std::string_view::npos) << status;
    EXPECT_EQ(out_.view().substr(out_.size() - 4), "\r\n\r\n") << status;
  }
}

TEST_F(ResponseWriterTest, RefusesEngineFieldsAndInjection) {
  Response& r = exchange_.context().response();
  EXPECT_FALSE(r.add_header("Content-Length", "5"));
  EXPECT_FALSE(r.add_header("transfer-encoding", "chunked"));
  EXPECT_FALSE(r.add_header("Connection", "close"));
  EXPECT_FALSE(r.add_header("X-Bad", "a\r\nInjected: yes"));
  EXPECT_FALSE(r.add_header("Bad Name", "v"));
  EXPECT_TRUE(exchange_.response().extra_headers().empty());
}

// A streamed body is only announced: its length when known, chunked for an HTTP/1.1 peer when
// not, and nothing at all for an HTTP/1.0 peer (the body ends with the connection).
TEST_F(ResponseWriterTest, AnnouncesAStreamedBodyByItsFraming) {
  ResponseWriter writer("", date_);
  ResponseState& response = exchange_.response();
  response.set_stream_body(42);
  writer.write(out_, response, {.chunked = true});
  EXPECT_NE(out_.view().find("Content-Length: 42\r\n"), std::string_view::npos);
  EXPECT_EQ(out_.view().substr(out_.size() - 4), "\r\n\r\n");
  out_.clear();
  response.set_stream_body(ResponseState::kUnknownLength);
  writer.write(out_, response, {.chunked = true});
  EXPECT_NE(out_.view().find("Transfer-Encoding: chunked\r\n"), std::string_view::npos);
  EXPECT_EQ(out_.view().find("Content-Length"), std::string_view::npos);
  out_.clear();
  writer.write(out_, response, {.close = true});
  EXPECT_EQ(out_.view().find("Transfer-Encoding"), std::string_view::npos);
  EXPECT_EQ(out_.view().find("Content-Length"), std::string_view::npos);
}

TEST_F(ResponseWriterTest, FramesChunks) {
  ResponseWriter::write_chunk(out_, "hello");
  ResponseWriter::write_chunk(out_, "");  // never the last chunk by accident
  ResponseWriter::write_chunk(out_, std::string(300, 'x'));
  ResponseWriter::write_last_chunk(out_);
  EXPECT_EQ(out_.view(), "5\r\nhello\r\n12c\r\n" + std::string(300, 'x') + "\r\n0\r\n\r\n");
}

TEST_F(ResponseWriterTest, WritesContinue) {
  ResponseWriter::write_continue(out_);
  EXPECT_EQ(out_.view(), "HTTP/1.1 100 Continue\r\n\r\n");
}

}  // namespace
}  // namespace surge::detail
