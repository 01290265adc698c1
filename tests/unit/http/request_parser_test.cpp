#include "http/request_parser.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http/error.hpp>
#include <string>
#include <vector>

namespace surge::detail {
namespace {

struct Parsed {
  RequestError error = RequestError::kNone;
  bool complete = false;
  RequestHead head;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string target, path, query, host;
  std::size_t consumed = 0;
};

// Feeds `wire` to a parser, `step` bytes at a time (0: all at once), the way a connection does:
// the buffer grows, consumed bytes stay in place.
Parsed parse_pieces(const std::vector<std::string>& pieces, ParserLimits limits = {}) {
  std::vector<HeaderEntry> table(limits.max_header_count);
  RequestParser parser(limits, table.data());
  std::string buffer;
  std::size_t total = 0;
  for (const std::string& piece : pieces) total += piece.size();
  buffer.reserve(total + 1);
  std::size_t pos = 0;
  Parsed out;
  for (const std::string& piece : pieces) {
    buffer.append(piece);
    while (true) {
      boost::system::error_code ec;
      std::size_t used = parser.parse(buffer.data(), pos, buffer.size(), ec);
      pos += used;
      if (ec == boost::beast::http::error::need_more) break;
      if (ec) {
        out.error = classify(ec);
        return out;
      }
      if (parser.done()) {
        out.complete = true;
        out.head = parser.head();
        out.consumed = pos;
        for (std::size_t i = 0; i < out.head.header_count; ++i) {
          out.headers.emplace_back(std::string(table[i].name.in(buffer.data())),
                                   std::string(table[i].value.in(buffer.data())));
        }
        out.body = std::string(out.head.body.in(buffer.data()));
        out.target = std::string(out.head.target.in(buffer.data()));
        out.path = std::string(out.head.path.in(buffer.data()));
        out.query = std::string(out.head.query.in(buffer.data()));
        out.host = std::string(out.head.host.in(buffer.data()));
        return out;
      }
      if (used == 0) break;
    }
  }
  return out;  // incomplete
}

Parsed parse(const std::string& wire, std::size_t step = 0, ParserLimits limits = {}) {
  if (step == 0) return parse_pieces({wire}, limits);
  std::vector<std::string> pieces;
  for (std::size_t i = 0; i < wire.size(); i += step) pieces.push_back(wire.substr(i, step));
  return parse_pieces(pieces, limits);
}

RequestError error_of(const std::string& wire, ParserLimits limits = {}) {
  return parse(wire, 0, limits).error;
}

// --- well-formed requests ------------------------------------------------------------------

TEST(RequestParser, ParsesASimpleGet) {
  Parsed p = parse("GET /plaintext?x=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n");
  ASSERT_TRUE(p.complete);
  EXPECT_EQ(p.head.method, Method::kGet);
  EXPECT_EQ(p.head.version, 11);
  EXPECT_EQ(p.target, "/plaintext?x=1");
  EXPECT_EQ(p.path, "/plaintext");
  EXPECT_EQ(p.query, "x=1");
  EXPECT_EQ(p.host, "example.com");
  EXPECT_TRUE(p.head.keep_alive);
  ASSERT_EQ(p.headers.size(), 2u);
  EXPECT_EQ(p.headers[1].first, "Accept");
  EXPECT_EQ(p.headers[1].second, "*/*");
}

TEST(RequestParser, GivesTheSameResultWhenFedByteByByte) {
  const std::string wire =
      "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: x\r\n\r\n";
  Parsed whole = parse(wire);
  Parsed bytes = parse(wire, 1);
  ASSERT_TRUE(whole.complete);
  ASSERT_TRUE(bytes.complete);
  EXPECT_EQ(whole.body, "abc0123456789abcdef");
  EXPECT_EQ(bytes.body, whole.body);
  EXPECT_EQ(bytes.consumed, wire.size());
}

// Split anywhere in two reads, a request parses as it does in one (the fuzzer's finding:
// the split decides nothing).
TEST(RequestParser, GivesTheSameResultWhateverTheSplitPoint) {
  for (const std::string wire :
       {"POST /e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST /e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2;x=y\r\nab\r\n0\r\nT: v\r\n\r\n",
        "GET / HTTP/1.2\r\nHost: a\r\n\r\n", "PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
        "\r\nGET /a?b HTTP/1.0\r\n\r\n"}) {
    const Parsed whole = parse(wire);
    ASSERT_TRUE(whole.complete) << wire;
    for (std::size_t at = 1; at < wire.size(); ++at) {
      const Parsed split = parse_pieces({wire.substr(0, at), wire.substr(at)});
      ASSERT_TRUE(split.complete) << wire << " split at " << at;
      EXPECT_EQ(split.body, whole.body) << wire << " split at " << at;
      EXPECT_EQ(split.head.version, whole.head.version) << wire << " split at " << at;
      EXPECT_EQ(split.consumed, whole.consumed) << wire << " split at " << at;
    }
  }
}

// Beast 1.81 asserts on a last chunk followed by fewer than 5 bytes (boostorg/beast PR #2861);
// a sanitizer build turns Beast's assertions on.
TEST(RequestParser, AnEmptyChunkedBodyArrivingInPiecesIsParsed) {
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  Parsed p = parse_pieces({head, "0\r\n", "\r", "\n"});
  ASSERT_TRUE(p.complete);
  EXPECT_EQ(p.body, "");
  EXPECT_TRUE(parse_pieces({head, "0", "\r\n", "\r", "\n"}).complete);
  EXPECT_TRUE(parse_pieces({head + "0\r\n", "\r\n"}).complete);
  EXPECT_TRUE(parse_pieces({head, "0\r\nX: y\r", "\n", "\r", "\n"}).complete);
}

TEST(RequestParser, ReadsAContentLengthBodyInPlace) {
  Parsed p = parse("PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET");
  ASSERT_TRUE(p.complete);
  EXPECT_EQ(p.body, "hello");
  EXPECT_TRUE(p.head.has_content_length);
  EXPECT_EQ(p.head.content_length, 5u);
  // The pipelined bytes after the body are not consumed.
  EXPECT_EQ(p.consumed, std::string("PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello").size());
}

TEST(RequestParser, SkipsEmptyLinesBeforeTheRequestLine) {
  Parsed p = parse("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(p.complete);
  EXPECT_EQ(p.path, "/");
}

TEST(RequestParser, Http10DefaultsToCloseUnlessKeepAliveIsAsked) {
  Parsed close = parse("GET / HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(close.complete);
  EXPECT_EQ(close.head.version, 10);
  EXPECT_FALSE(close.head.keep_alive);
  Parsed keep = parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_TRUE(keep.head.keep_alive);
}

TEST(RequestParser, ConnectionCloseIsHonoured) {
  Parsed p = parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_FALSE(p.head.keep_alive);
}

TEST(RequestParser, AHigherHttp1MinorVersionIsServedAsHttp11) {
  Parsed p = parse("GET / HTTP/1.2\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(p.complete);
  EXPECT_EQ(p.head.version, 11);
}

TEST(RequestParser, AcceptsAbsoluteFormAndTakesTheHostFromIt) {
  Parsed p = parse("GET http://example.org:8080/a/b?q HTTP/1.1\r\nHost: other\r\n\r\n");
  ASSERT_TRUE(p.complete);
  EXPECT_EQ(p.host, "example.org:8080");
  EXPECT_EQ(p.path, "/a/b");
  EXPECT_EQ(p.query, "q");
}

TEST(RequestParser, AcceptsAsteriskFormOnlyForOptions) {
  EXPECT_TRUE(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").complete);
  EXPECT_EQ(error_of("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), RequestError::kBadTarget);
}

TEST(RequestParser, NotesExpectContinueOnlyForHttp11WithABody) {
  Parsed p = parse("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_TRUE(p.head.expect_continue);
  Parsed no_body = parse("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_FALSE(no_body.head.expect_continue);
  Parsed http10 = parse("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_TRUE(http10.complete);
  EXPECT_FALSE(http10.head.expect_continue);
}

TEST(RequestParser, IgnoresUnknownExpectationsInHttp10) {
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\nExpect: something\r\n\r\n").complete);
}

TEST(RequestParser, AcceptsChunkExtensionsAndTrailersAndDropsTrailers) {
  Parsed p = parse(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4 ; name=\"v\"\r\nwiki\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n");
  ASSERT_TRUE(p.complete);
  EXPECT_EQ(p.body, "wiki");
  EXPECT_EQ(p.headers.size(), 2u);  // Host and Transfer-Encoding, not the trailers
}

TEST(RequestParser, AcceptsTransferEncodingCaseInsensitivelyWithSpaces) {
  Parsed p = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:  Chunked \r\n\r\n0\r\n\r\n");
  ASSERT_TRUE(p.complete);
  EXPECT_TRUE(p.head.chunked);
}

TEST(RequestParser, AcceptsValidHostForms) {
  for (const char* host : {"example.com", "example.com:80", "127.0.0.1:8080", "[::1]:80", "[::1]", "",
                           "xn--bcher-kva.example", "a%41b"}) {
    EXPECT_TRUE(is_valid_host(host)) << host;
  }
  for (const char* host : {"a b", "a:b", "[::1", "a/b", "a@b", "[zz]", "a%4", "a\"b"}) {
    EXPECT_FALSE(is_valid_host(host)) << host;
  }
}

// --- request smuggling and framing: 400 and close --------------------------------------------

TEST(RequestParser, RejectsContentLengthTogetherWithTransferEncoding) {
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
            RequestError::kContentLengthWithTransferEncoding);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"),
            RequestError::kContentLengthWithTransferEncoding);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\n"),
            RequestError::kContentLengthWithTransferEncoding);
}

TEST(RequestParser, RejectsDuplicateContentLengthEvenWhenEqual) {
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"),
            RequestError::kDuplicateContentLength);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc"),
            RequestError::kDuplicateContentLength);
}

TEST(RequestParser, RejectsInvalidContentLengthValues) {
  for (const char* value : {"+3", "-1", "3,3", "3 3", "0x10", "", "99999999999999999999999", "1e3"}) {
    std::string wire = std::string("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ") + value + "\r\n\r\n";
    RequestError e = error_of(wire);
    EXPECT_EQ(info(e).status, 400) << value;
  }
}

TEST(RequestParser, RejectsTransferEncodingThatDoesNotEndInChunked) {
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"),
            RequestError::kChunkedNotFinal);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
            RequestError::kChunkedNotFinal);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n"),
            RequestError::kChunkedNotFinal);
}

TEST(RequestParser, RejectsChunkedAppliedTwice) {
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"),
            RequestError::kChunkedNotFinal);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
            RequestError::kChunkedNotFinal);
}

TEST(RequestParser, AnswersUnknownTransferCodingsWith501) {
  RequestError e = error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
  EXPECT_EQ(e, RequestError::kTransferCodingUnsupported);
  EXPECT_EQ(info(e).status, 501);
}

TEST(RequestParser, RejectsMalformedTransferEncoding) {
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n"),
            RequestError::kBadTransferEncoding);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ch@nked\r\n\r\n"),
            RequestError::kBadTransferEncoding);
}

TEST(RequestParser, RejectsTransferEncodingInHttp10) {
  EXPECT_EQ(error_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            RequestError::kTransferEncodingInHttp10);
}

TEST(RequestParser, RejectsObsFoldInEveryShape) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n"), RequestError::kObsFold);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n"), RequestError::kObsFold);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\r\nX:\r\n b\r\n\r\n"), RequestError::kObsFold);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\r\nX: \r\n \r\n\r\n"), RequestError::kObsFold);
}

TEST(RequestParser, RejectsWhitespaceBeforeTheColon) {
  EXPECT_EQ(info(error_of("GET / HTTP/1.1\r\nHost : a\r\n\r\n")).status, 400);
  EXPECT_EQ(info(error_of("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n")).status, 400);
}

TEST(RequestParser, RejectsWhitespaceBeforeTheFirstField) {
  EXPECT_EQ(info(error_of("GET / HTTP/1.1\r\n Host: a\r\n\r\n")).status, 400);
}

TEST(RequestParser, RejectsInvalidCharactersInNamesAndValues) {
  EXPECT_EQ(info(error_of(std::string("GET / HTTP/1.1\r\nHost: a\r\nFo\0o: b\r\n\r\n", 35))).status, 400);
  EXPECT_EQ(info(error_of("GET / HTTP/1.1\r\nHost: a\r\nFo(o: b\r\n\r\n")).status, 400);
  EXPECT_EQ(info(error_of("GET / HTTP/1.1\r\nHost: a\r\nFoo: b\x01" "c\r\n\r\n")).status, 400);
  EXPECT_EQ(info(error_of(std::string("GET / HTTP/1.1\r\nHost: a\r\nFoo: b\0c\r\n\r\n", 37))).status, 400);
  EXPECT_EQ(info(error_of("GET / HTTP/1.1\r\nHost: a\r\nFoo: b\rc\r\n\r\n")).status, 400);
  EXPECT_EQ(info(error_of("GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n")).status, 400);
  EXPECT_EQ(info(error_of("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n")).status, 400);
}

TEST(RequestParser, RejectsBareLineFeeds) {
  EXPECT_EQ(info(error_of("GET / HTTP/1.1\nHost: a\n\n")).status, 400);
  EXPECT_EQ(info(error_of("GET / HTTP/1.1\r\nHost: a\n\r\n")).status, 400);
}

TEST(RequestParser, RequiresExactlyOneValidHostInHttp11) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\n\r\n"), RequestError::kMissingHost);
  EXPECT_EQ(error_of("GET http://a/ HTTP/1.1\r\n\r\n"), RequestError::kMissingHost);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), RequestError::kDuplicateHost);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"), RequestError::kDuplicateHost);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), RequestError::kBadHost);
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\n\r\n").complete);  // HTTP/1.0 needs none
}

TEST(RequestParser, RejectsMalformedRequestLines) {
  for (const char* wire : {"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
                           "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
                           "GET / http/1.1\r\nHost: a\r\n\r\n", "GET / HTTP/1.10\r\nHost: a\r\n\r\n",
                           "GET / HTTP/11\r\nHost: a\r\n\r\n", "/ HTTP/1.1\r\nHost: a\r\n\r\n",
                           "GET a HTTP/1.1\r\nHost: a\r\n\r\n", "GET /#frag HTTP/1.1\r\nHost: a\r\n\r\n",
                           "GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", "GET /%4 HTTP/1.1\r\nHost: a\r\n\r\n",
                           "GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n"}) {
    EXPECT_EQ(info(error_of(wire)).status, 400) << wire;
  }
}

TEST(RequestParser, RejectsGarbageAtOnceWithoutWaitingForALineEnd) {
  // A TLS ClientHello: the first byte is not a token character.
  EXPECT_EQ(info(error_of(std::string("\x16\x03\x01\x00\xa5\x01\x00\x00", 8))).status, 400);
  EXPECT_EQ(info(error_of(std::string("\x00\x01\x02", 3))).status, 400);
}

TEST(RequestParser, RefusesAFirstTokenLongerThanAnyMethodAtOnce) {
  EXPECT_EQ(error_of(std::string(3000, 'A')), RequestError::kMethodNotImplemented);
  EXPECT_EQ(error_of(std::string(kMaxMethodToken + 1, 'A')), RequestError::kMethodNotImplemented);
  EXPECT_EQ(parse(std::string(kMaxMethodToken, 'A'), 0).error, RequestError::kNone);  // may still come
}

TEST(RequestParser, AnswersTheHttp2PrefaceWith400) {
  EXPECT_EQ(error_of("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), RequestError::kHttp2Preface);
}

TEST(RequestParser, AnswersOtherMajorVersionsWith505) {
  EXPECT_EQ(error_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), RequestError::kVersionNotSupported);
  EXPECT_EQ(error_of("GET / HTTP/0.9\r\n\r\n"), RequestError::kVersionNotSupported);
  EXPECT_EQ(error_of("GET / HTTP/3.0\r\nHost: a\r\n\r\n"), RequestError::kVersionNotSupported);
}

// RFC 9110 9.1: method = token. The router decides what an unknown one gets (501 unless a route
// takes every method); the parser keeps the token.
TEST(RequestParser, AcceptsAnyMethodTokenAsOtherWithItsText) {
  for (const std::string& method : std::vector<std::string>{"PROPFIND", "PURGE", "MKCOL", "FOO", "get", "VERSION-CONTROL",
                                                            "M!#$%&'*+-.^_`|~9", std::string(kMaxMethodToken, 'X')}) {
    const std::string wire = method + " /x HTTP/1.1\r\nHost: a\r\n\r\n";
    Parsed whole = parse(wire);
    Parsed bytes = parse(wire, 1);
    for (const Parsed* p : {&whole, &bytes}) {
      ASSERT_TRUE(p->complete) << method;
      EXPECT_EQ(p->head.method, Method::kOther) << method;
      EXPECT_EQ(p->head.method_text.in(wire.data()), method);
      EXPECT_EQ(p->path, "/x");
    }
  }
  Parsed known = parse("DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(known.complete);
  EXPECT_EQ(known.head.method, Method::kDelete);
}

TEST(RequestParser, StillRefusesMalformedMethodsWith400) {
  for (const char* wire : {"GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", " / HTTP/1.1\r\nHost: a\r\n\r\n",
                           "PRO\"PFIND / HTTP/1.1\r\nHost: a\r\n\r\n", "PURGE\t/ HTTP/1.1\r\nHost: a\r\n\r\n",
                           "PUR@GE / HTTP/1.1\r\nHost: a\r\n\r\n"}) {
    const RequestError e = error_of(wire);
    EXPECT_EQ(e, RequestError::kBadMethod) << wire;
    EXPECT_EQ(info(e).status, 400) << wire;
  }
  // "*" is for OPTIONS only, whatever the method.
  EXPECT_EQ(error_of("PURGE * HTTP/1.1\r\nHost: a\r\n\r\n"), RequestError::kBadTarget);
}

TEST(RequestParser, AnswersConnectAndOverlongMethodsWith501) {
  EXPECT_EQ(error_of("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n"), RequestError::kMethodNotImplemented);
  EXPECT_EQ(error_of("CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n"), RequestError::kMethodNotImplemented);
  const std::string overlong = std::string(kMaxMethodToken + 1, 'X') + " / HTTP/1.1\r\nHost: a\r\n\r\n";
  EXPECT_EQ(error_of(overlong), RequestError::kMethodNotImplemented);
  EXPECT_EQ(info(RequestError::kMethodNotImplemented).status, 501);
}

TEST(RequestParser, AnswersUnknownExpectationsWith417) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n\r\n"), RequestError::kExpectationFailed);
}

TEST(RequestParser, RejectsMalformedChunks) {
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const char* body : {"zz\r\n\r\n", "3\r\nabcX\r\n0\r\n\r\n", "0x3\r\nabc\r\n0\r\n\r\n",
                           "3\nabc\r\n0\r\n\r\n", "fffffffffffffffffffff\r\n", "-1\r\n"}) {
    RequestError e = error_of(head + body);
    EXPECT_EQ(info(e).status == 400 || info(e).status == 413, true) << body;
  }
}

// --- limits ----------------------------------------------------------------------------------

TEST(RequestParser, AnswersALongRequestLineWith414) {
  ParserLimits limits;
  limits.max_request_line_bytes = 64;
  std::string target(100, 'a');
  EXPECT_EQ(error_of("GET /" + target + " HTTP/1.1\r\nHost: a\r\n\r\n", limits),
            RequestError::kRequestLineTooLong);
  // Even before the line ends.
  EXPECT_EQ(error_of("GET /" + target, limits), RequestError::kRequestLineTooLong);
  // Exactly at the limit is fine.
  std::string line = "GET /" + std::string(64 - 14, 'b') + " HTTP/1.1";
  ASSERT_EQ(line.size(), 64u);
  EXPECT_TRUE(parse(line + "\r\nHost: a\r\n\r\n", 0, limits).complete);
}

TEST(RequestParser, AnswersALargeHeaderSectionWith431) {
  ParserLimits limits;
  limits.max_header_bytes = 256;
  std::string wire = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 20; ++i) wire += "X-Field-" + std::to_string(i) + ": value-value\r\n";
  wire += "\r\n";
  EXPECT_EQ(error_of(wire, limits), RequestError::kHeaderTooLarge);
  // Fed in small pieces, so each field is consumed before the next arrives.
  EXPECT_EQ(parse(wire, 7, limits).error, RequestError::kHeaderTooLarge);
}

TEST(RequestParser, AnswersTooManyHeaderFieldsWith431) {
  ParserLimits limits;
  limits.max_header_count = 5;
  std::string wire = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 5; ++i) wire += "X" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(error_of(wire + "\r\n", limits), RequestError::kTooManyHeaders);
}

TEST(RequestParser, CountsTrailerFieldsAgainstTheHeaderCount) {
  ParserLimits limits;
  limits.max_header_count = 3;
  std::string wire = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\r\nB: 2\r\n\r\n";
  EXPECT_EQ(error_of(wire, limits), RequestError::kTooManyHeaders);
}

// The Content-Length is judged when the body begins, against the limit in force then: the
// route's (limit_body() after the header), which may be above the server's. The session refuses
// an announced length over it right after routing, before any body byte (tests/integration
// Limits.*).
TEST(RequestParser, AnswersALargeContentLengthWith413BeforeAnyBodyByte) {
  ParserLimits limits;
  limits.max_body_bytes = 1024;
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10000000000\r\n\r\nx", limits),
            RequestError::kBodyTooLarge);
}

TEST(RequestParser, JudgesAContentLengthAgainstTheRoutesLimitSetAfterTheHeader) {
  ParserLimits limits;
  limits.max_body_bytes = 4;
  std::vector<HeaderEntry> table(limits.max_header_count);
  for (std::uint64_t route_limit : {std::uint64_t{8}, std::uint64_t{7}}) {
    RequestParser parser(limits, table.data());
    std::string buffer = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 8\r\n\r\n12345678";
    boost::system::error_code ec;
    std::size_t used = parser.parse(buffer.data(), 0, buffer.size(), ec);
    ASSERT_FALSE(ec);
    ASSERT_TRUE(parser.header_done());  // the server's limit alone did not refuse it here
    parser.limit_body(route_limit);
    parser.parse(buffer.data(), used, buffer.size(), ec);
    if (route_limit == 8) {
      EXPECT_FALSE(ec);
      EXPECT_TRUE(parser.done());
    } else {
      EXPECT_EQ(ec, boost::beast::http::error::body_limit);
    }
  }
}

TEST(RequestParser, AnswersALargeChunkedBodyWith413) {
  ParserLimits limits;
  limits.max_body_bytes = 8;
  std::string wire = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n5\r\nfghij\r\n0\r\n\r\n";
  EXPECT_EQ(error_of(wire, limits), RequestError::kBodyTooLarge);
}

TEST(RequestParser, StopsRightAfterTheHeaderSoTheCallerCanDecide) {
  ParserLimits limits;
  std::vector<HeaderEntry> table(limits.max_header_count);
  RequestParser parser(limits, table.data());
  std::string buffer = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";
  boost::system::error_code ec;
  std::size_t used = parser.parse(buffer.data(), 0, buffer.size(), ec);
  EXPECT_FALSE(ec);
  EXPECT_TRUE(parser.header_done());
  EXPECT_FALSE(parser.done());
  EXPECT_EQ(used, buffer.size() - 3);
  used += parser.parse(buffer.data(), used, buffer.size(), ec);
  EXPECT_FALSE(ec);
  EXPECT_TRUE(parser.done());
  EXPECT_EQ(used, buffer.size());
}

TEST(RequestParser, AppliesALowerPerRequestBodyLimitToChunkedBodies) {
  ParserLimits limits;
  std::vector<HeaderEntry> table(limits.max_header_count);
  RequestParser parser(limits, table.data());
  std::string buffer =
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n";
  boost::system::error_code ec;
  std::size_t used = parser.parse(buffer.data(), 0, buffer.size(), ec);
  ASSERT_TRUE(parser.header_done());
  parser.limit_body(4);
  parser.parse(buffer.data(), used, buffer.size(), ec);
  EXPECT_EQ(classify(ec), RequestError::kBodyTooLarge);
}

}  // namespace
}  // namespace surge::detail
