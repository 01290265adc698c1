#include "middleware/request_id.hpp"

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <surge/context.hpp>

#include <gtest/gtest.h>

#include "middleware/traceparent.hpp"
#include "support/fake_exchange.hpp"

namespace surge::detail {
namespace {

using test::FakeExchange;
using test::request;

constexpr std::string_view kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kParent = "00f067aa0ba902b7";
const std::string kIncomingTraceparent =
    "traceparent: 00-" + std::string(kTrace) + "-" + std::string(kParent) + "-01\r\n";

bool lowercase_hex(std::string_view s, std::size_t size) {
  return s.size() == size && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// Runs `mw` on a request with `headers`; returns the request id the handler saw.
std::string run(Middleware& mw, FakeExchange& fx) {
  std::string seen;
  fx.run({&mw}, [&](Context& ctx) { seen = ctx.request_id(); });
  return seen;
}

RequestIdConfig without_trace() {
  RequestIdConfig config;
  config.trace = false;
  return config;
}

TEST(RequestId, AcceptsAValidIncomingIdAndEchoesIt) {
  RequestId ids(without_trace());
  FakeExchange fx(request("GET", "/", "X-Request-ID: Ab9._:-Z\r\n"));
  EXPECT_EQ(run(ids, fx), "Ab9._:-Z");
  EXPECT_EQ(fx.header("X-Request-ID"), "Ab9._:-Z");
  EXPECT_EQ(fx.header_count("X-Request-ID"), 1u);
  EXPECT_EQ(ids.counters().accepted, 1u);
  EXPECT_EQ(ids.counters().generated, 0u);
}

TEST(RequestId, TheIncomingHeaderNameIsCaseInsensitive) {
  RequestId ids(without_trace());
  FakeExchange fx(request("GET", "/", "x-request-id: lower\r\n"));
  EXPECT_EQ(run(ids, fx), "lower");
}

TEST(RequestId, ValidityRules) {
  EXPECT_TRUE(RequestId::valid_id("a", 128));
  EXPECT_TRUE(RequestId::valid_id(std::string(128, 'a'), 128));
  EXPECT_TRUE(RequestId::valid_id("0af7651916cd43dd8448eb211c80319c", 128));
  EXPECT_TRUE(RequestId::valid_id("f81d4fae-7dec-11d0-a765-00a0c91e6bf6", 128));
  EXPECT_FALSE(RequestId::valid_id("", 128));
  EXPECT_FALSE(RequestId::valid_id(std::string(129, 'a'), 128));
  EXPECT_FALSE(RequestId::valid_id("abcdefghi", 8));
  for (std::string bad : {"a b", "a/b", "a\"b", "a,b", "a;b", "a=b", "{a}", "a+b", "a\tb",
                          "caf\xc3\xa9", "a%20b", "<script>"}) {
    EXPECT_FALSE(RequestId::valid_id(bad, 128)) << bad;
  }
}

TEST(RequestId, AnInvalidIncomingIdIsReplacedByAGeneratedOne) {
  for (const std::string& value :
       std::vector<std::string>{"has space", "semi;colon", std::string(129, 'x'), "quote\"d"}) {
    RequestId ids(without_trace());
    FakeExchange fx(request("GET", "/", "X-Request-ID: " + value + "\r\n"));
    const std::string id = run(ids, fx);
    EXPECT_TRUE(lowercase_hex(id, 32)) << value << " -> " << id;
    EXPECT_EQ(fx.header("X-Request-ID"), id);
    EXPECT_EQ(ids.counters().invalid, 1u);
    EXPECT_EQ(ids.counters().generated, 1u);
  }
}

TEST(RequestId, AnEmptyIncomingIdIsInvalid) {
  RequestId ids(without_trace());
  FakeExchange fx(request("GET", "/", "X-Request-ID:\r\n"));
  EXPECT_TRUE(lowercase_hex(run(ids, fx), 32));
  EXPECT_EQ(ids.counters().invalid, 1u);
}

TEST(RequestId, MaxLengthIsConfigurable) {
  RequestIdConfig config = without_trace();
  config.max_length = 8;
  RequestId ids(config);
  FakeExchange ok(request("GET", "/", "X-Request-ID: 12345678\r\n"));
  EXPECT_EQ(run(ids, ok), "12345678");
  FakeExchange too_long(request("GET", "/", "X-Request-ID: 123456789\r\n"));
  EXPECT_TRUE(lowercase_hex(run(ids, too_long), 32));
}

TEST(RequestId, TheHeaderNameIsConfigurable) {
  RequestIdConfig config = without_trace();
  config.header = "X-Correlation-ID";
  RequestId ids(config);
  FakeExchange fx(request("GET", "/", "X-Correlation-ID: corr-1\r\nX-Request-ID: other\r\n"));
  EXPECT_EQ(run(ids, fx), "corr-1");
  EXPECT_EQ(fx.header("X-Correlation-ID"), "corr-1");
  EXPECT_EQ(fx.header_count("X-Request-ID"), 0u);
}

TEST(RequestId, WithAcceptIncomingOffAlwaysGenerates) {
  RequestIdConfig config = without_trace();
  config.accept_incoming = false;
  RequestId ids(config);
  FakeExchange fx(request("GET", "/", "X-Request-ID: chosen-by-client\r\n"));
  EXPECT_TRUE(lowercase_hex(run(ids, fx), 32));
  EXPECT_EQ(ids.counters().accepted, 0u);
  EXPECT_EQ(ids.counters().invalid, 0u);
}

TEST(RequestId, GeneratedIdsAreWellFormedAndUnique) {
  RequestId ids(without_trace());
  std::set<std::string> seen;
  for (int i = 0; i < 10'000; ++i) {
    FakeExchange fx(request("GET", "/"));
    const std::string id = run(ids, fx);
    ASSERT_TRUE(lowercase_hex(id, 32)) << id;
    ASSERT_EQ(fx.header("X-Request-ID"), id);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 10'000u);
  EXPECT_EQ(ids.counters().generated, 10'000u);
}

TEST(RequestId, EachWorkerHasItsOwnGenerator) {
  // Same seed, same requests: worker 0's ids are the same whether or not worker 1 drew ids in
  // between, so the workers share no generator state.
  RequestId mixed(without_trace(), 1234), alone(without_trace(), 1234);
  mixed.attach(2);
  alone.attach(2);
  std::vector<std::string> mixed0, alone0;
  std::set<std::string> worker1;
  for (int i = 0; i < 50; ++i) {
    FakeExchange a(request("GET", "/"), {}, 0), b(request("GET", "/"), {}, 1),
        c(request("GET", "/"), {}, 0);
    mixed0.push_back(run(mixed, a));
    worker1.insert(run(mixed, b));
    alone0.push_back(run(alone, c));
  }
  EXPECT_EQ(mixed0, alone0);
  for (const std::string& id : mixed0)
    EXPECT_EQ(worker1.count(id), 0u) << id;
}

TEST(RequestId, InstancesSeedFromRandomDevice) {
  RequestId a(without_trace()), b(without_trace());
  FakeExchange fa(request("GET", "/")), fb(request("GET", "/"));
  EXPECT_NE(run(a, fa), run(b, fb));
}

TEST(RequestId, TheHeaderIsAddedBeforeLaterSteps) {
  class Refuse final : public Middleware {
   public:
    void handle(Context& ctx, Next&) override { ctx.text(429, "slow down\n"); }
  } refuse;
  RequestId ids({});
  FakeExchange fx(request("GET", "/", "X-Request-ID: early\r\n"));
  fx.run({&ids, &refuse}, [](Context&) {});
  EXPECT_EQ(fx.status(), 429);
  EXPECT_EQ(fx.header("X-Request-ID"), "early");
}

TEST(RequestId, CountsPerWorkerAndSumsThem) {
  RequestId ids(without_trace());
  ids.attach(4);
  for (std::size_t worker = 0; worker < 4; ++worker) {
    FakeExchange a(request("GET", "/"), {}, worker);
    FakeExchange b(request("GET", "/", "X-Request-ID: given\r\n"), {}, worker);
    run(ids, a);
    run(ids, b);
  }
  FakeExchange past_the_end(request("GET", "/"), {}, 9);  // clamped to the last worker's slot
  run(ids, past_the_end);
  EXPECT_EQ(ids.counters().generated, 5u);
  EXPECT_EQ(ids.counters().accepted, 4u);
}

// --- W3C traceparent ---

struct Answer {
  std::string request_id;
  std::optional<std::string> traceparent;
};

Answer serve(RequestId& ids, const std::string& headers) {
  FakeExchange fx(request("GET", "/", headers));
  Answer answer;
  answer.request_id = run(ids, fx);
  answer.traceparent = fx.header("traceparent");
  EXPECT_EQ(fx.header("X-Request-ID"), answer.request_id);
  return answer;
}

TEST(RequestIdTrace, ContinuesAValidTraceWithANewSpan) {
  RequestId ids({});
  const Answer a = serve(ids, kIncomingTraceparent);
  ASSERT_TRUE(a.traceparent);
  const auto parsed = parse_traceparent(*a.traceparent);
  ASSERT_TRUE(parsed) << *a.traceparent;
  EXPECT_EQ(a.traceparent->substr(0, 3), "00-");
  EXPECT_EQ(parsed->trace_id, kTrace);
  EXPECT_NE(parsed->parent_id, kParent);
  EXPECT_TRUE(lowercase_hex(parsed->parent_id, 16));
  EXPECT_EQ(parsed->flags, 0x01);
  EXPECT_EQ(ids.counters().traces_continued, 1u);
}

TEST(RequestIdTrace, TheRequestIdIsTheTraceIdWhenNoIdCame) {
  RequestId ids({});
  EXPECT_EQ(serve(ids, kIncomingTraceparent).request_id, kTrace);
  EXPECT_EQ(ids.counters().from_trace, 1u);
  EXPECT_EQ(ids.counters().generated, 0u);
}

TEST(RequestIdTrace, AnIncomingIdWinsOverTheTraceId) {
  RequestId ids({});
  const Answer a = serve(ids, "X-Request-ID: mine\r\n" + kIncomingTraceparent);
  EXPECT_EQ(a.request_id, "mine");
  EXPECT_EQ(parse_traceparent(*a.traceparent)->trace_id, kTrace);
  EXPECT_EQ(ids.counters().accepted, 1u);
  EXPECT_EQ(ids.counters().from_trace, 0u);
}

TEST(RequestIdTrace, RequestIdFromTraceCanBeTurnedOff) {
  RequestIdConfig config;
  config.request_id_from_trace = false;
  RequestId ids(config);
  const Answer a = serve(ids, kIncomingTraceparent);
  EXPECT_TRUE(lowercase_hex(a.request_id, 32));
  EXPECT_NE(a.request_id, kTrace);
  EXPECT_EQ(parse_traceparent(*a.traceparent)->trace_id, kTrace);
  EXPECT_EQ(ids.counters().generated, 1u);
}

TEST(RequestIdTrace, EveryRequestGetsItsOwnSpan) {
  RequestId ids({});
  const Answer a = serve(ids, kIncomingTraceparent), b = serve(ids, kIncomingTraceparent);
  EXPECT_NE(parse_traceparent(*a.traceparent)->parent_id,
            parse_traceparent(*b.traceparent)->parent_id);
}

TEST(RequestIdTrace, KeepsTheIncomingFlags) {
  RequestId ids({});
  const std::string unsampled =
      "traceparent: 00-" + std::string(kTrace) + "-" + std::string(kParent) + "-00\r\n";
  EXPECT_EQ(parse_traceparent(*serve(ids, unsampled).traceparent)->flags, 0x00);
}

TEST(RequestIdTrace, AnswersAHigherVersionWithVersion00) {
  RequestId ids({});
  const Answer a = serve(ids, "traceparent: cc-" + std::string(kTrace) + "-" +
                                  std::string(kParent) + "-01-more-fields\r\n");
  ASSERT_TRUE(a.traceparent);
  EXPECT_EQ(a.traceparent->size(), kTraceparentSize);
  EXPECT_EQ(a.traceparent->substr(0, 3 + kTrace.size()), "00-" + std::string(kTrace));
}

TEST(RequestIdTrace, WithoutAValidTraceparentStartsATraceSharingTheGeneratedId) {
  for (std::string headers :
       {std::string(), std::string("traceparent: garbage\r\n"),
        "traceparent: ff-" + std::string(kTrace) + "-" + std::string(kParent) + "-01\r\n",
        "traceparent: 00-" + std::string(32, '0') + "-" + std::string(kParent) + "-01\r\n"}) {
    RequestId ids({});
    const Answer a = serve(ids, headers);
    ASSERT_TRUE(a.traceparent) << headers;
    const auto parsed = parse_traceparent(*a.traceparent);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->trace_id, a.request_id);
    EXPECT_EQ(parsed->flags, 0x00) << "not sampled by default";
    EXPECT_EQ(ids.counters().traces_started, 1u);
    EXPECT_EQ(ids.counters().traceparents_invalid, headers.empty() ? 0u : 1u);
  }
}

TEST(RequestIdTrace, AStartedTraceHasItsOwnIdWhenTheRequestIdCameIn) {
  RequestId ids({});
  const Answer a = serve(ids, "X-Request-ID: given\r\n");
  const auto parsed = parse_traceparent(*a.traceparent);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(lowercase_hex(parsed->trace_id, 32));
}

TEST(RequestIdTrace, NewTracesCanBeSampled) {
  RequestIdConfig config;
  config.sample_new_traces = true;
  RequestId ids(config);
  EXPECT_EQ(parse_traceparent(*serve(ids, "").traceparent)->flags, 0x01);
}

TEST(RequestIdTrace, StartTraceOffAnswersNoTraceparentWithoutOne) {
  RequestIdConfig config;
  config.start_trace = false;
  RequestId ids(config);
  EXPECT_FALSE(serve(ids, "").traceparent);
  EXPECT_FALSE(serve(ids, "traceparent: 00-nonsense\r\n").traceparent);
  EXPECT_TRUE(serve(ids, kIncomingTraceparent).traceparent);
  EXPECT_EQ(ids.counters().traces_started, 0u);
}

TEST(RequestIdTrace, TraceOffIgnoresTraceparentEntirely) {
  RequestId ids(without_trace());
  const Answer a = serve(ids, kIncomingTraceparent);
  EXPECT_FALSE(a.traceparent);
  EXPECT_NE(a.request_id, kTrace);
  EXPECT_EQ(ids.counters().traces_continued, 0u);
}

TEST(RequestIdTrace, TheResponseHeaderNameIsConfigurableOrOff) {
  RequestIdConfig config;
  config.trace_response_header = "traceresponse";
  RequestId named(config);
  FakeExchange fx(request("GET", "/", kIncomingTraceparent));
  run(named, fx);
  EXPECT_FALSE(fx.header("traceparent"));
  ASSERT_TRUE(fx.header("traceresponse"));
  EXPECT_EQ(parse_traceparent(*fx.header("traceresponse"))->trace_id, kTrace);

  config.trace_response_header.clear();
  RequestId off(config);
  FakeExchange fx2(request("GET", "/", kIncomingTraceparent));
  EXPECT_EQ(run(off, fx2), kTrace) << "still read, just not answered";
  EXPECT_FALSE(fx2.header("traceparent"));
}

TEST(RequestIdTrace, TheFactoryMakesOne) {
  MiddlewarePtr mw = make_request_id();
  ASSERT_NE(std::dynamic_pointer_cast<RequestId>(mw), nullptr);
  FakeExchange fx(request("GET", "/"));
  EXPECT_TRUE(lowercase_hex(run(*mw, fx), 32));
}

}  // namespace
}  // namespace surge::detail
