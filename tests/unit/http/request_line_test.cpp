#include "http/request_line.hpp"

#include <gtest/gtest.h>

#include <string>

namespace surge::detail {
namespace {

struct Fed {
  RequestError error = RequestError::kNone;
  bool complete = false;
  std::string line;  // after any rewrite
};

// Feeds line one byte more at a time, as a slow client sends it; stops at the first verdict.
Fed feed_bytewise(std::string line, std::size_t max_length = 8192) {
  RequestLineCheck check;
  Fed out;
  for (std::size_t n = 1; n <= line.size(); ++n) {
    out.error = check.feed(line.data(), n, max_length, out.complete);
    if (out.error != RequestError::kNone || out.complete) break;
  }
  out.line = line;
  return out;
}

Fed feed_whole(std::string line, std::size_t max_length = 8192) {
  RequestLineCheck check;
  Fed out;
  out.error = check.feed(line.data(), line.size(), max_length, out.complete);
  out.line = line;
  return out;
}

TEST(RequestLineCheck, AcceptsAValidLineWholeOrByteByByte) {
  for (const char* line : {"GET / HTTP/1.1\r\n", "OPTIONS * HTTP/1.1\r\n", "DELETE /a?b=c HTTP/1.0\r\n",
                           "GET http://a.example/x HTTP/1.1\r\n", "PROPFIND /dav/ HTTP/1.1\r\n",
                           "UPDATEREDIRECTREF /r HTTP/1.1\r\n"}) {
    EXPECT_TRUE(feed_whole(line).complete) << line;
    Fed slow = feed_bytewise(line);
    EXPECT_EQ(slow.error, RequestError::kNone) << line;
    EXPECT_TRUE(slow.complete) << line;
  }
}

TEST(RequestLineCheck, WaitsForTheRestOfAValidPrefix) {
  for (const char* prefix : {"G", "GET", "GET ", "GET /a", "GET /a ", "GET /a HTTP/", "GET /a HTTP/1.1",
                             "GET /a HTTP/1.1\r"}) {
    Fed f = feed_whole(prefix);
    EXPECT_EQ(f.error, RequestError::kNone) << prefix;
    EXPECT_FALSE(f.complete) << prefix;
  }
}

// Each of these can never become a valid line: refused at the first byte that says so, not after
// the header timeout.
TEST(RequestLineCheck, RefusesALineAsSoonAsItCannotBeValid) {
  EXPECT_EQ(feed_bytewise("GET / \r\n\r\n").error, RequestError::kBadRequestLine);
  EXPECT_EQ(feed_bytewise("GET /\r\n").error, RequestError::kBadTarget);
  EXPECT_EQ(feed_bytewise("GET  / HTTP/1.1\r\n").error, RequestError::kBadRequestLine);
  EXPECT_EQ(feed_bytewise("GET /a  HTTP/1.1\r\n").error, RequestError::kBadVersion);
  EXPECT_EQ(feed_bytewise("GET\t/ HTTP/1.1\r\n").error, RequestError::kBadMethod);
  EXPECT_EQ(feed_bytewise(" GET / HTTP/1.1\r\n").error, RequestError::kBadMethod);
  EXPECT_EQ(feed_bytewise(std::string("GET /\x01 HTTP/1.1\r\n")).error, RequestError::kBadTarget);
  EXPECT_EQ(feed_bytewise("GET /\x7f HTTP/1.1\r\n").error, RequestError::kBadTarget);
  EXPECT_EQ(feed_bytewise("GET / http/1.1\r\n").error, RequestError::kBadVersion);
  EXPECT_EQ(feed_bytewise("GET / HTTP/11\r\n").error, RequestError::kBadVersion);
  EXPECT_EQ(feed_bytewise("GET / HTTP/1.10\r\n").error, RequestError::kBadRequestLine);
  EXPECT_EQ(feed_bytewise("GET / HTTP/1.1 \r\n").error, RequestError::kBadRequestLine);
  EXPECT_EQ(feed_bytewise("GET / HTTP/1.1\n").error, RequestError::kBadRequestLine);
  EXPECT_EQ(feed_bytewise("GET / HTTP/1.1\rX").error, RequestError::kBadLineEnding);
  EXPECT_EQ(feed_bytewise(std::string(kMaxMethodToken + 1, 'G') + " / HTTP/1.1\r\n").error,
            RequestError::kMethodNotImplemented);
  EXPECT_EQ(feed_bytewise("GE(T / HTTP/1.1\r\n").error, RequestError::kBadMethod);
  // The verdict comes with the offending byte: nothing after it is needed.
  EXPECT_EQ(feed_whole("GET / \r").error, RequestError::kBadRequestLine);
  EXPECT_EQ(feed_whole("GET / X").error, RequestError::kBadVersion);
}

TEST(RequestLineCheck, JudgesTheVersionOnlyOnceTheLineIsComplete) {
  // Split after the digits, a higher minor is not yet known to be the last character.
  Fed partial = feed_whole("GET / HTTP/1.2");
  EXPECT_EQ(partial.error, RequestError::kNone);
  EXPECT_FALSE(partial.complete);
  Fed whole = feed_bytewise("GET / HTTP/1.2\r\n");
  EXPECT_TRUE(whole.complete);
  EXPECT_EQ(whole.line, "GET / HTTP/1.1\r\n");  // served as HTTP/1.1
  EXPECT_EQ(feed_bytewise("GET / HTTP/2.0\r\n").error, RequestError::kVersionNotSupported);
  EXPECT_EQ(feed_bytewise("GET / HTTP/0.9\r\n").error, RequestError::kVersionNotSupported);
  EXPECT_EQ(feed_bytewise("PRI * HTTP/2.0\r\n").error, RequestError::kHttp2Preface);
}

TEST(RequestLineCheck, RefusesALineLongerThanTheLimitWithoutWaitingForItsEnd) {
  const std::string target(100, 'a');
  EXPECT_TRUE(feed_whole("GET /" + target + " HTTP/1.1\r\n", 5 + 100 + 9).complete);
  EXPECT_EQ(feed_whole("GET /" + target + "a HTTP/1.1\r\n", 5 + 100 + 9).error,
            RequestError::kRequestLineTooLong);
  // No line end in sight: refused once the limit is passed.
  EXPECT_EQ(feed_bytewise("GET /" + std::string(1000, 'a'), 64).error, RequestError::kRequestLineTooLong);
}

}  // namespace
}  // namespace surge::detail
