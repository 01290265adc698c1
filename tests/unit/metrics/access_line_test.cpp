#include "metrics/access_line.hpp"

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace surge::detail {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

const system_clock::time_point kNow =
    std::chrono::sys_days{std::chrono::year{2000} / 10 / 10} + 13h + 55min + 36s + 123ms;

AccessRecord full_record() {
  AccessRecord r;
  r.client = "192.0.2.1";
  r.method = "GET";
  r.target = "/a?b=1";
  r.version = 11;
  r.status = 200;
  r.response_bytes = 2326;
  r.request_bytes = 78;
  r.duration = 123456ns;
  r.request_id = "req-1";
  r.route = "/a";
  r.user_agent = "curl/8.0";
  r.referer = "https://r.example/";
  return r;
}

std::string combined(const AccessRecord& r, system_clock::time_point now = kNow) {
  AccessLine line;
  return std::string(line.combined(r, now));
}

std::string json(const AccessRecord& r, system_clock::time_point now = kNow) {
  AccessLine line;
  return std::string(line.json(r, now));
}

// What the JSON line says for `field` when a string field is set to `text`.
std::string json_roundtrip(std::string_view text) {
  AccessRecord r = full_record();
  r.user_agent = text;
  const std::string line = json(r);
  EXPECT_TRUE(nlohmann::json::accept(line)) << line;
  return nlohmann::json::parse(line).at("user_agent").get<std::string>();
}

TEST(AccessLogLine, CombinedHasTheNcsaFieldsThenDurationAndRequestId) {
  EXPECT_EQ(combined(full_record()),
            "192.0.2.1 - - [10/Oct/2000:13:55:36 +0000] \"GET /a?b=1 HTTP/1.1\" 200 2326 "
            "\"https://r.example/\" \"curl/8.0\" 0.000123 req-1");
}

TEST(AccessLogLine, CombinedWritesDashesForWhatIsAbsent) {
  AccessRecord r = full_record();
  r.version = 10;
  r.referer = {};
  r.user_agent = {};
  r.request_id = {};
  r.duration = 1500ms;
  EXPECT_EQ(
      combined(r),
      "192.0.2.1 - - [10/Oct/2000:13:55:36 +0000] \"GET /a?b=1 HTTP/1.0\" 200 2326 \"-\" \"-\" "
      "1.500000 -");
}

TEST(AccessLogLine, CombinedRequestLineIsADashWhenItWasNotParsed) {
  AccessRecord r;
  r.client = "2001:db8::1";
  r.status = 400;
  r.response_bytes = 90;
  r.target = "ignored";
  EXPECT_EQ(combined(r),
            "2001:db8::1 - - [10/Oct/2000:13:55:36 +0000] \"-\" 400 90 \"-\" \"-\" 0.000000 -");
}

TEST(AccessLogLine, CombinedEscapesQuotesBackslashesControlAndHighBytesAsNginxDoes) {
  AccessRecord r = full_record();
  r.target = "/\"q\"\\";
  r.user_agent = std::string_view("a\"b\\c\td\ne\x7f\xc3\xa9\x01", 13);
  r.request_id = "id with space";
  EXPECT_EQ(
      combined(r),
      "192.0.2.1 - - [10/Oct/2000:13:55:36 +0000] \"GET /\\x22q\\x22\\x5C HTTP/1.1\" 200 2326 "
      "\"https://r.example/\" \"a\\x22b\\x5Cc\\x09d\\x0Ae\\x7F\\xC3\\xA9\\x01\" 0.000123 "
      "id\\x20with\\x20space");
}

TEST(AccessLogLine, JsonHasEveryKeyInOrder) {
  EXPECT_EQ(
      json(full_record()),
      R"({"time":"2000-10-10T13:55:36.123Z","client":"192.0.2.1","method":"GET","target":"/a?b=1",)"
      R"("version":"HTTP/1.1","status":200,"bytes":2326,"request_bytes":78,"duration_s":0.000123,)"
      R"("request_id":"req-1","route":"/a","user_agent":"curl/8.0","referer":"https://r.example/",)"
      R"("error":null,"upstream":null,"upstream_status":null,"upstream_duration_s":null})");
}

TEST(AccessLogLine, AProxiedRequestAddsTheUpstreamItsStatusAndTime) {
  AccessRecord r = full_record();
  r.upstream = "10.0.0.7:9001";
  r.upstream_status = 201;
  r.upstream_duration = 98765ns;
  EXPECT_EQ(combined(r),
            "192.0.2.1 - - [10/Oct/2000:13:55:36 +0000] \"GET /a?b=1 HTTP/1.1\" 200 2326 "
            "\"https://r.example/\" \"curl/8.0\" 0.000123 req-1 10.0.0.7:9001 201 0.000098");
  auto j = nlohmann::json::parse(json(r));
  EXPECT_EQ(j.at("upstream"), "10.0.0.7:9001");
  EXPECT_EQ(j.at("upstream_status"), 201);
  EXPECT_EQ(j.at("upstream_duration_s"), 0.000098);
  // An upstream that gave no status (it failed): a dash, a null.
  r.upstream_status = 0;
  EXPECT_TRUE(combined(r).ends_with(" req-1 10.0.0.7:9001 - 0.000098")) << combined(r);
  j = nlohmann::json::parse(json(r));
  EXPECT_TRUE(j.at("upstream_status").is_null());
  EXPECT_EQ(j.at("upstream"), "10.0.0.7:9001");
}

TEST(AccessLogLine, JsonWritesNullForWhatIsAbsent) {
  AccessRecord r;
  r.client = "192.0.2.1";
  r.status = 431;
  r.error = "header_too_large";
  const auto j = nlohmann::json::parse(json(r));
  for (const char* key :
       {"method", "target", "version", "request_id", "route", "user_agent", "referer"}) {
    EXPECT_TRUE(j.at(key).is_null()) << key;
  }
  EXPECT_EQ(j.at("status"), 431);
  EXPECT_EQ(j.at("error"), "header_too_large");
  EXPECT_EQ(j.at("duration_s"), 0.0);
}

TEST(AccessLogLine, JsonEscapesQuotesBackslashesAndEveryControlCharacter) {
  std::string hostile = "\"\\/";
  for (int c = 0; c < 0x20; ++c)
    hostile += static_cast<char>(c);
  hostile += '\x7f';
  EXPECT_EQ(json_roundtrip(hostile), hostile);
  AccessRecord r = full_record();
  r.user_agent = hostile;
  const std::string line = json(r);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find(R"("user_agent":"\"\\/\u0000\u0001)"), std::string::npos) << line;
  EXPECT_NE(line.find(R"(\b\t\n\u000b\f\r\u000e)"), std::string::npos) << line;
  EXPECT_NE(line.find(R"(\u001f\u007f")"), std::string::npos) << line;
}

TEST(AccessLogLine, JsonKeepsValidUtf8) {
  const std::string text =
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xed\x9f\xbf";
  EXPECT_EQ(json_roundtrip(text), text);
}

TEST(AccessLogLine, JsonReplacesEachMaximalIllFormedSubsequenceWithOneReplacementCharacter) {
  const std::string r = "\xef\xbf\xbd";
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"a\x80z", "a" + r + "z"},                  // lone continuation byte
      {"a\xc0\xafz", "a" + r + r + "z"},          // C0: never valid, nor is its follower alone
      {"a\xc1\xbfz", "a" + r + r + "z"},          // overlong 2-byte
      {"a\xe0\x80\xafz", "a" + r + r + r + "z"},  // overlong 3-byte: E0 needs A0..BF
      {"a\xed\xa0\x80z", "a" + r + r + r + "z"},  // surrogate U+D800
      {"a\xf0\x80\x80\x80z", "a" + r + r + r + r + "z"},  // overlong 4-byte
      {"a\xf4\x90\x80\x80z", "a" + r + r + r + r + "z"},  // above U+10FFFF
      {"a\xf5\x80z", "a" + r + r + "z"},                  // F5..FF never valid
      {"a\xff", "a" + r},
      {"a\xe2\x82z", "a" + r + "z"},                 // truncated 3-byte: one replacement
      {"a\xf0\x9f\x98z", "a" + r + "z"},             // truncated 4-byte: one replacement
      {"a\xe2\x82", "a" + r},                        // truncated at the end of the field
      {"\xe2\x82\xe2\x82\xac", r + "\xe2\x82\xac"},  // truncated, then a valid sequence
  };
  for (const Case& c : cases) {
    EXPECT_EQ(json_roundtrip(c.in), c.out) << testing::PrintToString(c.in);
  }
}

TEST(AccessLogLine, LongFieldsAreCutAndMarked) {
  AccessRecord r = full_record();
  const std::string target = "/" + std::string(10'000, 'x');
  r.target = target;
  const auto j = nlohmann::json::parse(json(r));
  EXPECT_EQ(j.at("target").get<std::string>(), target.substr(0, kMaxTargetBytes) + "...");
  const std::string line = combined(r);
  EXPECT_NE(line.find(" " + target.substr(0, kMaxTargetBytes) + "... HTTP/1.1\""),
            std::string::npos);
}

TEST(AccessLogLine, ACutNeverSplitsAUtf8Sequence) {
  AccessRecord r = full_record();
  // A 2-byte sequence straddles the limit: it is left out whole.
  const std::string ua = std::string(kMaxUserAgentBytes - 1, 'a') + "\xc3\xa9" + "tail";
  r.user_agent = ua;
  const auto j = nlohmann::json::parse(json(r));
  EXPECT_EQ(j.at("user_agent").get<std::string>(),
            std::string(kMaxUserAgentBytes - 1, 'a') + "...");
}

TEST(AccessLogLine, TheWorstLineFitsTheReservedBuffer) {
  const std::string control(20'000, '\x01');
  AccessRecord r;
  r.client = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
  r.method = r.target = r.request_id = r.route = r.user_agent = r.referer = r.upstream = control;
  r.upstream_status = -2147483647 - 1;
  r.upstream_duration = std::chrono::nanoseconds::max();
  r.status = -2147483647 - 1;
  r.response_bytes = r.request_bytes = UINT64_MAX;
  r.duration = std::chrono::nanoseconds::max();
  r.error = "expectation_failed";
  AccessLine line;
  const std::size_t json_size = line.json(r, kNow).size();
  const std::size_t combined_size = line.combined(r, kNow).size();
  EXPECT_LE(json_size, AccessLine::kMaxLineBytes);
  EXPECT_LE(combined_size, AccessLine::kMaxLineBytes);
  EXPECT_GT(json_size, AccessLine::kMaxLineBytes - 512);
}

TEST(AccessLogLine, TimeFollowsTheClockAcrossSecondsAndDays) {
  AccessLine line;
  AccessRecord r = full_record();
  const auto leap =
      std::chrono::sys_days{std::chrono::year{2024} / 2 / 29} + 23h + 59min + 59s + 7ms;
  EXPECT_EQ(nlohmann::json::parse(line.json(r, leap)).at("time"), "2024-02-29T23:59:59.007Z");
  EXPECT_EQ(nlohmann::json::parse(line.json(r, leap + 1ms)).at("time"), "2024-02-29T23:59:59.008Z");
  EXPECT_EQ(nlohmann::json::parse(line.json(r, leap + 993ms)).at("time"),
            "2024-03-01T00:00:00.000Z");
  EXPECT_NE(std::string(line.combined(r, leap + 993ms)).find("[01/Mar/2024:00:00:00 +0000]"),
            std::string::npos);
  EXPECT_NE(std::string(line.combined(r, kNow)).find("[10/Oct/2000:13:55:36 +0000]"),
            std::string::npos);
}

}  // namespace
}  // namespace surge::detail
