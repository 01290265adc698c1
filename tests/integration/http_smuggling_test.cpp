// Framing errors (RFC 9112 6.1, 6.3, 5.2, 3.2): each is refused with the right status, the
// connection is closed, and nothing after the bad request on that connection is ever processed.
#include <gtest/gtest.h>

#include <string>

#include "support/raw_client.hpp"
#include "support/test_server.hpp"

namespace surge::test {
namespace {

struct Case {
  const char* name;
  std::string request;
  int status;
};

class Smuggling : public ::testing::TestWithParam<Case> {
 protected:
  static TestServer* server_;
  static void SetUpTestSuite() { server_ = new TestServer(); }
  static void TearDownTestSuite() { delete server_; }
};
TestServer* Smuggling::server_ = nullptr;

TEST_P(Smuggling, IsRefusedAndTheConnectionIsNeverReused) {
  const Case& c = GetParam();
  RawClient client(server_->port());
  // A second, valid request rides behind the bad one: it must never be answered.
  ASSERT_TRUE(client.send(c.request + get("/path/smuggled")));
  auto r = client.read_response();
  ASSERT_TRUE(r) << c.name;
  EXPECT_EQ(r->status, c.status) << c.name;
  EXPECT_TRUE(r->closes()) << c.name;
  EXPECT_EQ(r->header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_FALSE(r->body.empty());
  std::string rest = client.read_until_closed();
  EXPECT_EQ(rest.find("/path/smuggled"), std::string::npos) << c.name;
  EXPECT_TRUE(client.peer_closed()) << c.name;
}

const std::string kPost = "POST /echo HTTP/1.1\r\nHost: t\r\n";

INSTANTIATE_TEST_SUITE_P(
    Rfc9112, Smuggling,
    ::testing::Values(
        Case{"ContentLengthAndTransferEncoding",
             kPost + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        Case{"TransferEncodingThenContentLength",
             kPost + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400},
        Case{"DifferingContentLengths", kPost + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400},
        Case{"RepeatedEqualContentLengths", kPost + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400},
        Case{"ContentLengthList", kPost + "Content-Length: 5, 5\r\n\r\nhello", 400},
        Case{"SignedContentLength", kPost + "Content-Length: +5\r\n\r\nhello", 400},
        Case{"NegativeContentLength", kPost + "Content-Length: -1\r\n\r\n", 400},
        Case{"HexContentLength", kPost + "Content-Length: 0x5\r\n\r\nhello", 400},
        Case{"TransferEncodingNotEndingInChunked", kPost + "Transfer-Encoding: chunked, identity\r\n\r\n", 400},
        Case{"TransferEncodingGzipOnly", kPost + "Transfer-Encoding: gzip\r\n\r\n", 400},
        Case{"ChunkedTwice", kPost + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400},
        Case{"ChunkedTwiceOnTwoLines",
             kPost + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        Case{"UnknownTransferCoding", kPost + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
        Case{"TransferEncodingInHttp10",
             "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        Case{"ObsFold", "GET / HTTP/1.1\r\nHost: t\r\nX-Folded: a\r\n b\r\n\r\n", 400},
        Case{"ObsFoldedTransferEncoding", kPost + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", 400},
        Case{"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding : chunked\r\n\r\n", 400},
        Case{"TabBeforeColon", "GET / HTTP/1.1\r\nHost\t: t\r\n\r\n", 400},
        Case{"WhitespaceBeforeFirstField", "GET / HTTP/1.1\r\n Host: t\r\n\r\n", 400},
        Case{"NulInValue", std::string("GET / HTTP/1.1\r\nHost: t\r\nX: a\0b\r\n\r\n", 36), 400},
        Case{"BareCarriageReturnInValue", "GET / HTTP/1.1\r\nHost: t\r\nX: a\rb\r\n\r\n", 400},
        Case{"ControlCharInValue", "GET / HTTP/1.1\r\nHost: t\r\nX: a\x01" "b\r\n\r\n", 400},
        Case{"InvalidNameCharacter", "GET / HTTP/1.1\r\nHost: t\r\nX[1]: a\r\n\r\n", 400},
        Case{"MissingHost", "GET / HTTP/1.1\r\n\r\n", 400},
        Case{"DuplicateHost", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        Case{"InvalidHost", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
        Case{"BadChunkSize", kPost + "Transfer-Encoding: chunked\r\n\r\nxyz\r\n\r\n", 400},
        Case{"ChunkSizeOverflow", kPost + "Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", 400},
        Case{"ChunkDataLongerThanSize", kPost + "Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", 400},
        Case{"BareLineFeeds", "GET / HTTP/1.1\nHost: t\n\n", 400},
        Case{"SpaceInTarget", "GET /a b HTTP/1.1\r\nHost: t\r\n\r\n", 400},
        Case{"BadPercentEscape", "GET /%zz HTTP/1.1\r\nHost: t\r\n\r\n", 400},
        Case{"Http2Version", "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505},
        Case{"Http09Version", "GET / HTTP/0.9\r\n\r\n", 505},
        Case{"LowercaseVersion", "GET / http/1.1\r\nHost: t\r\n\r\n", 400},
        Case{"UnknownMethod", "BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n", 501},
        Case{"LowercaseMethod", "get / HTTP/1.1\r\nHost: t\r\n\r\n", 501},
        Case{"UnknownExpectation", "GET / HTTP/1.1\r\nHost: t\r\nExpect: teapot\r\n\r\n", 417}),
    [](const ::testing::TestParamInfo<Case>& param) { return std::string(param.param.name); });

}  // namespace
}  // namespace surge::test
