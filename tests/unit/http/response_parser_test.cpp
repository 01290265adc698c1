#include "http/response_parser.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <boost/beast/http/error.hpp>
#include <gtest/gtest.h>

#include "support/allocation_counter.hpp"

namespace surge::detail {
namespace {

using boost::beast::http::error::need_more;

struct Options {
  ResponseTo request;
  ResponseLimits limits;
  bool eof = false;  // the upstream closes after the last piece
};

struct Parsed {
  UpstreamError error = UpstreamError::kNone;
  bool header_done = false;
  bool complete = false;
  bool reusable = false;
  ResponseHead head;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string reason;
  std::string body;
  std::size_t pieces = 0;
  std::size_t most_buffered = 0;  // the largest the read buffer grew
  std::string rest;               // bytes after the response: the next one, or a tunnel's
};

// Reads a response as the proxy does: the pieces arrive one after the other; the head is taken
// (and its bytes dropped) once the header section is parsed, and every body piece is taken and
// dropped at once with everything before it, so the buffer never holds the body.
Parsed parse_pieces(const std::vector<std::string>& pieces, const Options& options = {}) {
  std::vector<HeaderEntry> table(options.limits.max_header_count);
  ResponseParser parser(options.limits, table.data(), options.request);
  std::string buffer;
  std::size_t pos = 0;
  Parsed out;
  for (const std::string& piece : pieces) {
    buffer.append(piece);
    out.most_buffered = std::max(out.most_buffered, buffer.size());
    while (true) {
      boost::system::error_code ec;
      pos += parser.parse(buffer.data(), pos, buffer.size(), ec);
      if (ec == need_more) break;
      if (ec) {
        out.error = classify_upstream(ec);
        return out;
      }
      if (parser.header_done() && !out.header_done) {
        out.header_done = true;
        out.head = parser.head();
        out.reason = std::string(out.head.reason.in(buffer.data()));
        for (std::size_t i = 0; i < out.head.header_count; ++i) {
          out.headers.emplace_back(std::string(table[i].name.in(buffer.data())),
                                   std::string(table[i].value.in(buffer.data())));
        }
        buffer.erase(0, pos);
        pos = 0;
      }
      const Span body = parser.body_piece();
      if (body.size > 0) {
        out.body.append(body.in(buffer.data()));
        ++out.pieces;
        buffer.erase(0, pos);
        pos = 0;
      }
      if (parser.done()) break;
    }
  }
  if (options.eof) {
    boost::system::error_code ec;
    parser.on_eof(ec);
    out.error = classify_upstream(ec);
  }
  out.complete = parser.done();
  out.reusable = parser.reusable();
  out.rest = buffer.substr(pos);
  return out;
}

Parsed parse(const std::string& wire, std::size_t step = 0, Options options = {}) {
  if (step == 0) return parse_pieces({wire}, options);
  std::vector<std::string> pieces;
  for (std::size_t i = 0; i < wire.size(); i += step)
    pieces.push_back(wire.substr(i, step));
  return parse_pieces(pieces, options);
}

UpstreamError error_of(const std::string& wire, Options options = {}) {
  return parse(wire, 0, options).error;
}

Options head_request() {
  Options o;
  o.request.head = true;
  return o;
}
Options until_eof() {
  Options o;
  o.eof = true;
  return o;
}

const std::string kChunkedHead = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

// --- well-formed responses -------------------------------------------------------------------

TEST(ResponseParser, ParsesAContentLengthResponse) {
  Parsed p = parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello");
  ASSERT_TRUE(p.complete);
  EXPECT_EQ(p.head.status, 200);
  EXPECT_EQ(p.head.version, 11);
  EXPECT_EQ(p.reason, "OK");
  EXPECT_TRUE(p.head.keep_alive);
  EXPECT_EQ(p.head.body, ResponseBody::kContentLength);
  EXPECT_EQ(p.head.content_length, 5u);
  ASSERT_EQ(p.headers.size(), 2u);
  EXPECT_EQ(p.headers[0].first, "Content-Type");
  EXPECT_EQ(p.headers[0].second, "text/plain");
  EXPECT_EQ(p.body, "hello");
  EXPECT_TRUE(p.reusable);
}

TEST(ResponseParser, StopsRightAfterTheHeaderSectionThenDeliversTheBodyInPlace) {
  ResponseLimits limits;
  std::vector<HeaderEntry> table(limits.max_header_count);
  ResponseParser parser(limits, table.data());
  std::string buffer = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
  boost::system::error_code ec;
  std::size_t used = parser.parse(buffer.data(), 0, buffer.size(), ec);
  EXPECT_FALSE(ec);
  EXPECT_TRUE(parser.header_done());
  EXPECT_FALSE(parser.done());
  EXPECT_EQ(used, buffer.size() - 3);
  EXPECT_EQ(parser.body_piece().size, 0u);
  used += parser.parse(buffer.data(), used, buffer.size(), ec);
  EXPECT_FALSE(ec);
  EXPECT_TRUE(parser.done());
  EXPECT_EQ(used, buffer.size());
  EXPECT_EQ(parser.body_piece().offset, buffer.size() - 3);
  EXPECT_EQ(parser.body_piece().in(buffer.data()), "abc");
}

TEST(ResponseParser, ReportsEachChunkAsADecodedSpanOfTheBufferWithoutMovingIt) {
  ResponseLimits limits;
  std::vector<HeaderEntry> table(limits.max_header_count);
  ResponseParser parser(limits, table.data());
  std::string buffer = kChunkedHead + "3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nX-Sum: 7\r\n\r\n";
  const std::string original = buffer;
  std::vector<std::string> pieces;
  std::size_t pos = 0;
  boost::system::error_code ec;
  while (!parser.done()) {
    pos += parser.parse(buffer.data(), pos, buffer.size(), ec);
    ASSERT_FALSE(ec) << ec.message();
    if (parser.body_piece().size > 0) pieces.emplace_back(parser.body_piece().in(buffer.data()));
  }
  EXPECT_EQ(pieces, (std::vector<std::string>{"abc", "defg"}));
  EXPECT_EQ(buffer, original);  // nothing decoded in place: the proxy re-frames the spans
  EXPECT_EQ(pos, buffer.size());
  EXPECT_TRUE(parser.head().body == ResponseBody::kChunked);
  EXPECT_EQ(parser.head().header_count, 1u);  // the trailer is not kept
  EXPECT_TRUE(parser.reusable());
}

// Split anywhere in two reads, or read a byte at a time, a response parses as it does in one:
// where TCP cuts the stream decides nothing.
TEST(ResponseParser, GivesTheSameResultWhateverTheSplitPoint) {
  struct Case {
    std::string wire;
    Options options;
  };
  const std::vector<Case> cases = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\n\r\nhello", {}},
      {kChunkedHead +
           "3;a=b\r\nabc\r\n10 ; q=\"x y\"\r\n0123456789abcdef\r\n0;last\r\nT: 1\r\nU: 2\r\n\r\n",
       {}},
      {kChunkedHead + "0\r\n\r\n", {}},
      {"HTTP/1.0 200 OK\r\nServer: old\r\n\r\nuntil the close", until_eof()},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n\x1f\x8b binary", until_eof()},
      {"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", {}},
      {"HTTP/1.1 304 Not Modified\r\nContent-Length: 1000\r\n\r\n", {}},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", head_request()},
      {"HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nok", {}},
      {"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello", {}},
      {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", {}},
      {"HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", {}},
  };
  for (const Case& c : cases) {
    const Parsed whole = parse(c.wire, 0, c.options);
    ASSERT_EQ(whole.error, UpstreamError::kNone) << c.wire;
    ASSERT_TRUE(whole.complete) << c.wire;
    std::vector<Parsed> others = {parse(c.wire, 1, c.options)};
    for (std::size_t at = 1; at < c.wire.size(); ++at) {
      others.push_back(parse_pieces({c.wire.substr(0, at), c.wire.substr(at)}, c.options));
    }
    for (std::size_t i = 0; i < others.size(); ++i) {
      const Parsed& split = others[i];
      const std::string where =
          c.wire + (i == 0 ? " byte by byte" : " split at " + std::to_string(i));
      ASSERT_EQ(split.error, UpstreamError::kNone) << where;
      ASSERT_TRUE(split.complete) << where;
      EXPECT_EQ(split.body, whole.body) << where;
      EXPECT_EQ(split.head.status, whole.head.status) << where;
      EXPECT_EQ(split.head.body, whole.head.body) << where;
      EXPECT_EQ(split.headers, whole.headers) << where;
      EXPECT_EQ(split.reusable, whole.reusable) << where;
    }
  }
}

// Beast 1.81 asserts on a last chunk followed by fewer than 5 bytes (boostorg/beast PR #2861);
// a sanitizer build turns Beast's assertions on.
TEST(ResponseParser, AnEmptyChunkedBodyArrivingInPiecesIsParsed) {
  Parsed p = parse_pieces({kChunkedHead, "0\r\n", "\r\n"});
  ASSERT_TRUE(p.complete);
  EXPECT_EQ(p.body, "");
  EXPECT_TRUE(p.reusable);
  EXPECT_TRUE(parse_pieces({kChunkedHead, "0\r\n", "\r", "\n"}).complete);
  EXPECT_TRUE(parse_pieces({kChunkedHead, "0", "\r\n", "\r", "\n"}).complete);
  EXPECT_TRUE(parse_pieces({kChunkedHead + "0\r\n", "\r\n"}).complete);
  EXPECT_TRUE(parse_pieces({kChunkedHead, "0\r\nX: y\r", "\n", "\r", "\n"}).complete);
  EXPECT_EQ(parse_pieces({kChunkedHead, "2\r\nab\r\n", "0\r\n", "\r", "\n"}).body, "ab");
}

TEST(ResponseParser, AcceptsChunkExtensionsAndIgnoresTrailers) {
  Parsed p =
      parse(kChunkedHead + "4 ; name=\"v\"\r\nwiki\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n");
  ASSERT_TRUE(p.complete);
  EXPECT_EQ(p.body, "wiki");
  EXPECT_EQ(p.headers.size(), 1u);
}

TEST(ResponseParser, DeliversALargeBodyInPiecesWithoutBufferingIt) {
  const std::string body(1 << 20, 'b');
  Parsed cl =
      parse("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
            4096);
  ASSERT_TRUE(cl.complete);
  EXPECT_EQ(cl.body, body);
  EXPECT_GT(cl.pieces, 200u);
  EXPECT_LE(cl.most_buffered, 2 * 4096u);

  std::string chunked = kChunkedHead;
  for (std::size_t i = 0; i < body.size(); i += 65536)
    chunked += "10000\r\n" + body.substr(i, 65536) + "\r\n";
  chunked += "0\r\n\r\n";
  Parsed ch = parse(chunked, 4096);
  ASSERT_TRUE(ch.complete);
  EXPECT_EQ(ch.body, body);
  EXPECT_LE(ch.most_buffered, 2 * 4096u);
  EXPECT_TRUE(ch.reusable);
}

TEST(ResponseParser, ParsesWithoutAllocating) {
  ResponseLimits limits;
  std::vector<HeaderEntry> table(limits.max_header_count);
  std::string buffer = kChunkedHead + "5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\n";
  const std::uint64_t before = test::allocation_count();
  std::size_t pieces = 0;
  {
    ResponseParser parser(limits, table.data());
    std::size_t pos = 0;
    for (std::size_t end = 1; end <= buffer.size(); ++end) {
      boost::system::error_code ec;
      do {
        pos += parser.parse(buffer.data(), pos, end, ec);
        pieces += parser.body_piece().size;
      } while (!ec && !parser.done());
    }
  }
  EXPECT_EQ(test::allocation_count(), before);
  EXPECT_EQ(pieces, 5u);
}

// --- framing without a length ------------------------------------------------------------------

TEST(ResponseParser, ReadsABodyWithoutLengthUntilTheClose) {
  Parsed open = parse("HTTP/1.1 200 OK\r\n\r\nsome bytes");
  EXPECT_FALSE(open.complete);
  EXPECT_EQ(open.head.body, ResponseBody::kUntilClose);
  EXPECT_FALSE(open.head.keep_alive);
  Parsed closed = parse("HTTP/1.1 200 OK\r\n\r\nsome bytes", 3, until_eof());
  EXPECT_EQ(closed.error, UpstreamError::kNone);
  EXPECT_TRUE(closed.complete);
  EXPECT_EQ(closed.body, "some bytes");
  EXPECT_FALSE(closed.reusable);
  Parsed empty = parse("HTTP/1.0 200 OK\r\n\r\n", 0, until_eof());
  EXPECT_TRUE(empty.complete);
  EXPECT_EQ(empty.body, "");
}

// RFC 9112 6.3 item 4: in a response (unlike a request), a final coding other than chunked means
// the body runs to the close.
TEST(ResponseParser, ReadsTransferEncodingNotEndingInChunkedUntilTheClose) {
  for (const char* te : {"gzip", "chunked, gzip", "identity"}) {
    Parsed p =
        parse(std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: ") + te + "\r\n\r\n3\r\nabc", 0,
              until_eof());
    ASSERT_TRUE(p.complete) << te;
    EXPECT_EQ(p.head.body, ResponseBody::kUntilClose) << te;
    EXPECT_TRUE(p.head.transfer_coded) << te;
    EXPECT_EQ(p.body, "3\r\nabc") << te;
    EXPECT_FALSE(p.head.keep_alive) << te;
    EXPECT_FALSE(p.reusable) << te;
  }
}

TEST(ResponseParser, ReadsGzipThenChunkedAsChunkedAndSaysSo) {
  Parsed p = parse(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\n\x1f\x8b\r\n0\r\n\r\n");
  ASSERT_TRUE(p.complete);
  EXPECT_EQ(p.head.body, ResponseBody::kChunked);
  EXPECT_TRUE(p.head.transfer_coded);
  EXPECT_EQ(p.body, "\x1f\x8b");
  EXPECT_TRUE(p.reusable);
}

TEST(ResponseParser, TellsAnEofBeforeTheEndFromAComplete) {
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", 0, until_eof()).error,
            UpstreamError::kPartialMessage);
  EXPECT_EQ(parse(kChunkedHead + "5\r\nhel", 0, until_eof()).error, UpstreamError::kPartialMessage);
  EXPECT_EQ(parse(kChunkedHead + "5\r\nhello\r\n", 0, until_eof()).error,
            UpstreamError::kPartialMessage);
  EXPECT_EQ(parse(kChunkedHead + "0\r\n\r", 0, until_eof()).error, UpstreamError::kPartialMessage);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-", 0, until_eof()).error,
            UpstreamError::kPartialMessage);
  EXPECT_EQ(parse("HTTP/1.", 0, until_eof()).error, UpstreamError::kPartialMessage);
  EXPECT_EQ(parse_pieces({}, until_eof()).error, UpstreamError::kNoResponse);
  Parsed done = parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, until_eof());
  EXPECT_EQ(done.error, UpstreamError::kNone);
  EXPECT_TRUE(done.complete);
}

// --- responses without a body --------------------------------------------------------------------

TEST(ResponseParser, ReadsNoBodyForAHeadRequestWhateverTheHeaderSays) {
  Parsed p = parse("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", 0, head_request());
  ASSERT_TRUE(p.complete);
  EXPECT_EQ(p.head.body, ResponseBody::kNone);
  EXPECT_TRUE(p.head.has_content_length);
  EXPECT_EQ(p.head.content_length, 1000u);  // the proxy forwards it to the client
  EXPECT_TRUE(p.reusable);
  Parsed chunked = parse(kChunkedHead, 0, head_request());
  ASSERT_TRUE(chunked.complete);
  EXPECT_TRUE(chunked.reusable);
  Parsed close = parse("HTTP/1.1 200 OK\r\n\r\n", 0, head_request());
  ASSERT_TRUE(close.complete);
  EXPECT_TRUE(close.reusable);
}

TEST(ResponseParser, Reads204And304WithoutABodyWhateverTheContentLength) {
  Parsed not_modified = parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 42\r\n\r\n");
  ASSERT_TRUE(not_modified.complete);
  EXPECT_EQ(not_modified.head.body, ResponseBody::kNone);
  EXPECT_EQ(not_modified.head.content_length, 42u);
  EXPECT_TRUE(not_modified.reusable);
  Parsed empty = parse("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(empty.complete);
  EXPECT_TRUE(empty.reusable);
  // A 204 must not announce a body: one that does may well send it, so the connection goes.
  Parsed announced = parse("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n");
  EXPECT_TRUE(announced.complete);
  EXPECT_EQ(announced.head.body, ResponseBody::kNone);
  EXPECT_FALSE(announced.reusable);
  EXPECT_FALSE(parse("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n").reusable);
}

TEST(ResponseParser, ReadsInterimResponsesThenTheFinalOneWithANewParser) {
  const std::string wire =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
  for (std::size_t step : {0, 1, 7}) {
    std::string rest = wire;
    std::vector<int> statuses;
    Parsed p;
    do {
      p = parse(rest, step);
      ASSERT_EQ(p.error, UpstreamError::kNone);
      ASSERT_TRUE(p.complete);
      statuses.push_back(p.head.status);
      EXPECT_EQ(p.reusable, !p.head.interim());
      rest = p.rest;
    } while (p.head.interim());
    EXPECT_EQ(statuses, (std::vector<int>{100, 103, 201}));
    EXPECT_EQ(p.body, "ok");
    EXPECT_TRUE(p.rest.empty());
  }
}

TEST(ResponseParser, Reports101AsFinalAndLeavesTheTunnelBytes) {
  Options upgrade;
  upgrade.request.upgrade = true;
  Parsed p = parse(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
      "\x81\x05hello",
      0, upgrade);
  ASSERT_TRUE(p.complete);
  EXPECT_TRUE(p.head.switching_protocols());
  EXPECT_FALSE(p.head.interim());
  EXPECT_EQ(p.head.body, ResponseBody::kNone);
  EXPECT_EQ(p.rest, "\x81\x05hello");
  EXPECT_FALSE(p.reusable);
  // A 101 to a request that asked for no Upgrade opens no tunnel.
  EXPECT_EQ(error_of("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"),
            UpstreamError::kUnexpectedSwitch);
}

// --- keep-alive and reuse ----------------------------------------------------------------------

TEST(ResponseParser, DecidesKeepAliveFromVersionAndConnection) {
  Parsed http10 = parse("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx");
  EXPECT_EQ(http10.head.version, 10);
  EXPECT_FALSE(http10.head.keep_alive);
  EXPECT_FALSE(http10.reusable);
  Parsed http10_keep =
      parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx");
  EXPECT_TRUE(http10_keep.head.keep_alive);
  EXPECT_TRUE(http10_keep.reusable);
  Parsed close = parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx");
  EXPECT_FALSE(close.head.keep_alive);
  EXPECT_FALSE(close.reusable);
}

TEST(ResponseParser, ReadsAHigherHttp1MinorVersionAsHttp11) {
  Parsed p = parse("HTTP/1.7 200 OK\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(p.complete);
  EXPECT_EQ(p.head.version, 11);
}

TEST(ResponseParser, AcceptsIdenticalContentLengthsButDoesNotReuseTheConnection) {
  for (const char* wire :
       {"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"}) {
    Parsed p = parse(wire);
    ASSERT_TRUE(p.complete) << wire;
    EXPECT_EQ(p.body, "hello") << wire;
    EXPECT_FALSE(p.reusable) << wire;
  }
}

TEST(ResponseParser, BytesAfterACompleteResponseForbidReuse) {
  Parsed p = parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n");
  ASSERT_TRUE(p.complete);
  EXPECT_EQ(p.body, "ok");
  EXPECT_FALSE(p.reusable);
  EXPECT_FALSE(parse_pieces({"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "x"}).reusable);
  EXPECT_FALSE(parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 2\r\n\r\nok").reusable);
}

// --- refused: 502 and the connection closed ----------------------------------------------------

TEST(ResponseParser, RefusesStatusLinesOfAnyOtherShape) {
  const std::vector<std::pair<std::string, UpstreamError>> cases = {
      {"HTTP/2.0 200 OK\r\n\r\n", UpstreamError::kBadVersion},
      {"HTTP/2 200 OK\r\n\r\n", UpstreamError::kBadVersion},
      {"HTTP/0.9 200 OK\r\n\r\n", UpstreamError::kBadVersion},
      {"HTTP/1.x 200 OK\r\n\r\n", UpstreamError::kBadVersion},
      {"http/1.1 200 OK\r\n\r\n", UpstreamError::kBadStatusLine},
      {"<html><body>hello", UpstreamError::kBadStatusLine},
      {"\r\nHTTP/1.1 200 OK\r\n\r\n", UpstreamError::kBadStatusLine},
      {"HTTP/1.1\t200 OK\r\n\r\n", UpstreamError::kBadStatusLine},
      {"HTTP/1.1 200 O\x01K\r\n\r\n", UpstreamError::kBadStatusLine},
      {"HTTP/1.1 20 OK\r\n\r\n", UpstreamError::kBadStatus},
      {"HTTP/1.1 2000 OK\r\n\r\n", UpstreamError::kBadStatus},
      {"HTTP/1.1 2x0 OK\r\n\r\n", UpstreamError::kBadStatus},
      {"HTTP/1.1  200 OK\r\n\r\n", UpstreamError::kBadStatus},
      {"HTTP/1.1 200\r\n\r\n", UpstreamError::kBadStatus},
      {"HTTP/1.1 099 Low\r\n\r\n", UpstreamError::kBadStatus},
      {"HTTP/1.1 600 High\r\n\r\n", UpstreamError::kBadStatus},
  };
  for (const auto& [wire, error] : cases) {
    EXPECT_EQ(error_of(wire), error) << wire;
    EXPECT_EQ(parse(wire, 1).error, error) << wire << " byte by byte";
  }
  // Garbage is refused from its first bytes, without waiting for a line end.
  EXPECT_EQ(error_of("<ht"), UpstreamError::kBadStatusLine);
  EXPECT_EQ(error_of(std::string("\x15\x03\x03", 3)), UpstreamError::kBadStatusLine);
}

TEST(ResponseParser, RefusesContentLengthTogetherWithTransferEncoding) {
  for (const char* wire :
       {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: gzip\r\n\r\n"}) {
    EXPECT_EQ(error_of(wire), UpstreamError::kContentLengthWithTransferEncoding) << wire;
  }
}

TEST(ResponseParser, RefusesContentLengthsThatDiffer) {
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello"),
            UpstreamError::kConflictingContentLength);
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello"),
            UpstreamError::kConflictingContentLength);
}

TEST(ResponseParser, RefusesInvalidContentLengthValues) {
  for (const char* value :
       {"+3", "-1", "3 3", "0x10", "", "99999999999999999999999", "1e3", "5,", ",5", "5,,5"}) {
    EXPECT_EQ(error_of(std::string("HTTP/1.1 200 OK\r\nContent-Length: ") + value + "\r\n\r\n"),
              UpstreamError::kBadContentLength)
        << value;
  }
}

TEST(ResponseParser, RefusesMalformedTransferEncoding) {
  for (const char* fields :
       {"Transfer-Encoding: \r\n", "Transfer-Encoding: ch@nked\r\n",
        "Transfer-Encoding: chunked, chunked\r\n", "Transfer-Encoding: chunked;x=1\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n"}) {
    EXPECT_EQ(error_of(std::string("HTTP/1.1 200 OK\r\n") + fields + "\r\n"),
              UpstreamError::kBadTransferEncoding)
        << fields;
  }
}

TEST(ResponseParser, RefusesTransferEncodingInHttp10) {
  EXPECT_EQ(error_of("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            UpstreamError::kTransferEncodingInHttp10);
}

TEST(ResponseParser, RefusesObsFoldInEveryShape) {
  for (const char* fields : {"X: a\r\n b\r\n", "X: a\r\n\tb\r\n", "X:\r\n b\r\n", "X: \r\n \r\n"}) {
    const std::string wire =
        std::string("HTTP/1.1 200 OK\r\n") + fields + "Content-Length: 0\r\n\r\n";
    EXPECT_EQ(error_of(wire), UpstreamError::kObsFold) << fields;
    EXPECT_EQ(parse(wire, 1).error, UpstreamError::kObsFold) << fields;
  }
}

TEST(ResponseParser, RefusesInvalidFieldNamesAndValues) {
  const std::vector<std::pair<std::string, UpstreamError>> cases = {
      {std::string("Fo\0o: b\r\n", 9), UpstreamError::kBadHeaderName},
      {"Fo(o: b\r\n", UpstreamError::kBadHeaderName},
      {"Foo : b\r\n", UpstreamError::kBadHeaderName},
      {": empty\r\n", UpstreamError::kBadHeaderName},
      {" Foo: b\r\n", UpstreamError::kBadHeaderName},
      {"Foo: b\x01"
       "c\r\n",
       UpstreamError::kBadHeaderValue},
      {std::string("Foo: b\0c\r\n", 10), UpstreamError::kBadHeaderValue},
      {"Foo: b\x7f\r\n", UpstreamError::kBadHeaderValue},
      {"Foo: b\rc\r\n", UpstreamError::kBadLineEnding},
      {"Foo: b\n", UpstreamError::kBadHeaderValue},
  };
  for (const auto& [field, error] : cases) {
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\n" + field + "Content-Length: 0\r\n\r\n"), error)
        << field;
  }
  EXPECT_NE(error_of("HTTP/1.1 200 OK\nContent-Length: 0\n\n"), UpstreamError::kNone);
}

TEST(ResponseParser, RefusesMalformedChunks) {
  for (const char* body :
       {"zz\r\n\r\n", "3\r\nabcX\r\n0\r\n\r\n", "0x3\r\nabc\r\n0\r\n\r\n", "3\nabc\r\n0\r\n\r\n",
        "-1\r\n", "3;=\r\nabc\r\n0\r\n\r\n", "3 x\r\nabc\r\n0\r\n\r\n", "\r\n0\r\n\r\n",
        // data running on in hex digits: no CRLF, not a size overflow
        "1\r\naccccccccccccccccccccc\r\n0\r\n\r\n"}) {
    EXPECT_EQ(error_of(kChunkedHead + body), UpstreamError::kBadChunk) << body;
    EXPECT_EQ(parse(kChunkedHead + body, 1).error, UpstreamError::kBadChunk)
        << body << " byte by byte";
  }
}

TEST(ResponseParser, RefusesAChunkSizeBeyond64Bits) {
  EXPECT_EQ(error_of(kChunkedHead + "10000000000000000\r\nx\r\n"),
            UpstreamError::kChunkSizeOverflow);
  EXPECT_EQ(error_of(kChunkedHead + "1\r\na\r\n1ffffffffffffffff\r\n"),
            UpstreamError::kChunkSizeOverflow);
  // Sixteen digits fit, and leading zeros are no overflow.
  Parsed big = parse(kChunkedHead + "ffffffffffffffff\r\nabc");
  EXPECT_EQ(big.error, UpstreamError::kNone);
  EXPECT_EQ(big.body, "abc");
  EXPECT_EQ(parse(kChunkedHead + "00000000000000000001\r\nx\r\n0\r\n\r\n").body, "x");
}

// --- limits ----------------------------------------------------------------------------------

TEST(ResponseParser, RefusesAHeaderSectionAboveItsLimit) {
  Options small;
  small.limits.max_header_bytes = 256;
  std::string wire = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 20; ++i)
    wire += "X-Field-" + std::to_string(i) + ": value-value\r\n";
  wire += "Content-Length: 0\r\n\r\n";
  EXPECT_EQ(error_of(wire, small), UpstreamError::kHeaderTooLarge);
  EXPECT_EQ(parse(wire, 7, small).error, UpstreamError::kHeaderTooLarge);
  EXPECT_EQ(parse(wire, 1, small).error, UpstreamError::kHeaderTooLarge);
  small.limits.max_header_bytes = wire.size();  // exactly at the limit is fine
  EXPECT_TRUE(parse(wire, 0, small).complete);
  EXPECT_TRUE(parse(wire, 1, small).complete);
}

TEST(ResponseParser, RefusesTooManyFieldsCountingTrailers) {
  Options few;
  few.limits.max_header_count = 3;
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nContent-Length: 0\r\n\r\n", few),
            UpstreamError::kTooManyHeaders);
  EXPECT_TRUE(
      parse("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 0\r\n\r\n", 0, few).complete);
  EXPECT_EQ(error_of(kChunkedHead + "0\r\nT: 1\r\nU: 2\r\nV: 3\r\n\r\n", few),
            UpstreamError::kTooManyHeaders);
  EXPECT_TRUE(parse(kChunkedHead + "0\r\nT: 1\r\nU: 2\r\n\r\n", 0, few).complete);
}

// Beast bounds neither a chunk line nor the trailer section; both are held to max_header_bytes,
// with the same verdict whether they arrive at once or a byte at a time.
TEST(ResponseParser, RefusesAnEndlessChunkLineOrTrailerSection) {
  Options small;
  small.limits.max_header_bytes = 64;
  const std::string long_ext = "1;" + std::string(70, 'e') + "\r\nx\r\n0\r\n\r\n";
  EXPECT_EQ(error_of(kChunkedHead + long_ext, small), UpstreamError::kChunkLineTooLong);
  EXPECT_EQ(parse(kChunkedHead + long_ext, 1, small).error, UpstreamError::kChunkLineTooLong);
  const std::string trailers =
      "0\r\nT: " + std::string(30, 't') + "\r\nU: " + std::string(30, 'u') + "\r\n\r\n";
  EXPECT_EQ(error_of(kChunkedHead + trailers, small), UpstreamError::kHeaderTooLarge);
  EXPECT_EQ(parse(kChunkedHead + trailers, 1, small).error, UpstreamError::kHeaderTooLarge);
  const std::string fits =
      "1;" + std::string(50, 'e') + "\r\nx\r\n0\r\nT: " + std::string(40, 't') + "\r\n\r\n";
  EXPECT_TRUE(parse(kChunkedHead + fits, 0, small).complete);
  EXPECT_TRUE(parse(kChunkedHead + fits, 1, small).complete);
}

TEST(UpstreamError, EveryValueHasAMessageAndADistinctKind) {
  std::set<std::string_view> kinds;
  for (int i = 0; i < static_cast<int>(UpstreamError::kCount); ++i) {
    const auto e = static_cast<UpstreamError>(i);
    EXPECT_FALSE(info(e).message.empty());
    EXPECT_TRUE(kinds.insert(info(e).kind).second) << info(e).kind;
    EXPECT_EQ(classify_upstream(make_error_code(e)), e);
  }
  EXPECT_EQ(classify_upstream(boost::beast::http::error::partial_message),
            UpstreamError::kPartialMessage);
}

}  // namespace
}  // namespace surge::detail
