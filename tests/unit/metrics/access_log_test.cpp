#include "metrics/access_log.hpp"

#include <arpa/inet.h>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>

#include "http/exchange.hpp"
#include "metrics/access_line.hpp"
#include "support/allocation_counter.hpp"
#include "support/daemon_process.hpp"
#include "support/fake_exchange.hpp"

namespace surge::detail {
namespace {

using namespace std::chrono_literals;
using test::FakeExchange;
using test::request;

std::chrono::system_clock::time_point fixed_now() {
  return std::chrono::sys_days{std::chrono::year{2000} / 10 / 10} + 13h + 55min + 36s + 123ms;
}

// "192.0.2.1" or "2001:db8::1" as the engine stores it (IPv4 mapped into IPv6).
PeerAddress peer(const char* text) {
  PeerAddress address;
  if (::inet_pton(AF_INET, text, address.bytes.data() + 12) == 1) {
    address.bytes[10] = address.bytes[11] = 0xff;
    address.is_v4 = true;
  } else {
    EXPECT_EQ(::inet_pton(AF_INET6, text, address.bytes.data()), 1) << text;
  }
  return address;
}

// The lines of one message: the access log hands its sink batches of lines.
template <typename Visit>
void for_each_line(const spdlog::details::log_msg& msg, Visit visit) {
  std::string_view rest(msg.payload.data(), msg.payload.size());
  for (;;) {
    const std::size_t end = rest.find('\n');
    visit(rest.substr(0, end));
    if (end == std::string_view::npos) return;
    rest.remove_prefix(end + 1);
  }
}

// Keeps every line it is given, and counts the messages they came in.
class CapturingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  std::size_t messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    ++messages_;
    for_each_line(msg, [&](std::string_view line) { lines_.emplace_back(line); });
  }
  void flush_() override {}
  std::vector<std::string> lines_;
  std::size_t messages_ = 0;
};

// Counts lines without allocating, so allocation counts show only the caller's side.
class CountingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return count_;
  }
  std::size_t last_size() {
    std::lock_guard lock(mutex_);
    return last_size_;
  }

 private:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    for_each_line(msg, [&](std::string_view line) {
      ++count_;
      last_size_ = line.size();
    });
  }
  void flush_() override {}
  std::size_t count_ = 0;
  std::size_t last_size_ = 0;
};

// Holds the writer thread in its first write until released.
class BlockingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  void release() {
    std::lock_guard lock(gate_mutex_);
    open_ = true;
    gate_.notify_all();
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return count_;
  }

 private:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::unique_lock lock(gate_mutex_);
    gate_.wait(lock, [&] { return open_; });
    for_each_line(msg, [&](std::string_view) { ++count_; });
  }
  void flush_() override {}
  std::mutex gate_mutex_;
  std::condition_variable gate_;
  bool open_ = false;
  std::size_t count_ = 0;
};

CompletedRequest completed(FakeExchange& fx, int status, std::size_t worker = 0) {
  const auto started = Clock::time_point{} + 1h;
  return {fx.exchange(),      worker, status, 2326, 78, started, started + 123456ns,
          RequestError::kNone};
}

AccessLogConfig config(AccessLogConfig::Format format = AccessLogConfig::Format::kCombined) {
  AccessLogConfig c;
  c.enabled = true;
  c.format = format;
  return c;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(AccessLog, WritesTheCombinedLineOfARequest) {
  auto sink = std::make_shared<CapturingSink>();
  AccessLog log(config(), 1, sink, fixed_now);
  FakeExchange fx(
      request("GET", "/a?b=1", "User-Agent: curl/8.0\r\nReferer: https://r.example/\r\n"),
      peer("192.0.2.1"));
  fx.ctx().set_request_id("req-1");
  log.on_request(completed(fx, 200));
  ASSERT_TRUE(log.flush());
  EXPECT_EQ(sink->lines(),
            std::vector<std::string>{
                "192.0.2.1 - - [10/Oct/2000:13:55:36 +0000] \"GET /a?b=1 HTTP/1.1\" 200 2326 "
                "\"https://r.example/\" \"curl/8.0\" 0.000123 req-1"});
}

TEST(AccessLog, WritesTheJsonLineOfARequest) {
  auto sink = std::make_shared<CapturingSink>();
  AccessLog log(config(AccessLogConfig::Format::kJson), 1, sink, fixed_now);
  FakeExchange fx(request("POST", "/users/7", "user-agent: \"quoted\" \\ agent\r\n", "{}"),
                  peer("2001:db8::1"));
  fx.exchange().route().pattern = "/users/:id";
  fx.exchange().route().index = 3;
  log.on_request(completed(fx, 201));
  ASSERT_TRUE(log.flush());
  ASSERT_EQ(sink->lines().size(), 1u);
  const auto j = nlohmann::json::parse(sink->lines()[0]);
  EXPECT_EQ(j, nlohmann::json::parse(R"({"time":"2000-10-10T13:55:36.123Z","client":"2001:db8::1",
      "method":"POST","target":"/users/7","version":"HTTP/1.1","status":201,"bytes":2326,
      "request_bytes":78,"duration_s":0.000123,"request_id":null,"route":"/users/:id",
      "user_agent":"\"quoted\" \\ agent","referer":null,"error":null,)"
                R"("upstream":null,"upstream_status":null,"upstream_duration_s":null})"));
}

TEST(AccessLog, JsonStaysValidForHostileHeaderValues) {
  auto sink = std::make_shared<CapturingSink>();
  AccessLog log(config(AccessLogConfig::Format::kJson), 1, sink, fixed_now);
  // Header values may carry tabs and obs-text (any byte from 0x80): invalid UTF-8 included.
  const std::string hostile = "a\"b\\c\td\xff\xfe\xc3(\xe2\x82\xac";
  FakeExchange fx(request("GET", "/" + std::string(5000, 'x'),
                          "User-Agent: " + hostile + "\r\nReferer: \\\"\r\n"));
  log.on_request(completed(fx, 200));
  ASSERT_TRUE(log.flush());
  ASSERT_EQ(sink->lines().size(), 1u);
  const std::string line = sink->lines()[0];
  ASSERT_TRUE(nlohmann::json::accept(line)) << line;
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j.at("user_agent"), "a\"b\\c\td\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd(\xe2\x82\xac");
  EXPECT_EQ(j.at("referer"), "\\\"");
  EXPECT_EQ(j.at("target").get<std::string>().size(), kMaxTargetBytes + 3);
}

// What the engine has when it refuses a request: the parser stopped with an error and the
// exchange has no base yet (Connection::reject() before the header section is complete).
struct RefusedExchange {
  explicit RefusedExchange(std::string raw) : bytes(std::move(raw)), exchange(limits, nullptr) {
    exchange.begin(&client, nullptr, 0);
    boost::system::error_code ec;
    exchange.parser().parse(bytes.data(), 0, bytes.size(), ec);
    error = classify(ec);
  }
  ParserLimits limits;
  PeerAddress client = peer("198.51.100.7");
  std::string bytes;
  Exchange exchange;
  RequestError error = RequestError::kNone;
};

TEST(AccessLog, LogsRefusedRequestsWithAnIncompleteHead) {
  auto combined_sink = std::make_shared<CapturingSink>();
  auto json_sink = std::make_shared<CapturingSink>();
  AccessLog combined(config(), 1, combined_sink, fixed_now);
  AccessLog json(config(AccessLogConfig::Format::kJson), 1, json_sink, fixed_now);
  // The request line parsed (its spans are set), then a header line was refused.
  RefusedExchange bad_header("GET /x HTTP/1.1\r\nHost: a\r\nBad Header: v\r\n\r\n");
  // Nothing parsed at all.
  RefusedExchange garbage("\x01\x02\x03 nonsense\r\n\r\n");
  for (RefusedExchange* r : {&bad_header, &garbage}) {
    ASSERT_NE(r->error, RequestError::kNone);
    const CompletedRequest request{
        r->exchange,  0,       info(r->error).status, 90, r->bytes.size(), Clock::time_point{},
        Clock::now(), r->error};
    combined.on_request(request);
    json.on_request(request);
  }
  ASSERT_TRUE(combined.flush());
  ASSERT_TRUE(json.flush());
  const auto lines = combined_sink->lines();
  ASSERT_EQ(lines.size(), 2u);
  for (const std::string& line : lines) {
    EXPECT_EQ(line,
              "198.51.100.7 - - [10/Oct/2000:13:55:36 +0000] \"-\" 400 90 \"-\" \"-\" 0.000000 -");
  }
  ASSERT_EQ(json_sink->lines().size(), 2u);
  const auto j = nlohmann::json::parse(json_sink->lines()[0]);
  EXPECT_TRUE(j.at("method").is_null());
  EXPECT_TRUE(j.at("target").is_null());
  EXPECT_EQ(j.at("status"), 400);
  EXPECT_EQ(j.at("error"), std::string(info(bad_header.error).kind));
  EXPECT_EQ(j.at("request_bytes"), bad_header.bytes.size());
}

TEST(AccessLog, LogsTheRequestLineOfARequestRefusedAfterItsHeader) {
  auto sink = std::make_shared<CapturingSink>();
  AccessLog log(config(), 1, sink, fixed_now);
  FakeExchange fx(request("PUT", "/upload", "User-Agent: up/1\r\n"), peer("192.0.2.9"));
  const auto started = Clock::time_point{} + 1h;
  log.on_request(
      {fx.exchange(), 0, 413, 120, 60, started, started + 2ms, RequestError::kRouteBodyTooLarge});
  ASSERT_TRUE(log.flush());
  EXPECT_EQ(sink->lines(),
            std::vector<std::string>{
                "192.0.2.9 - - [10/Oct/2000:13:55:36 +0000] \"PUT /upload HTTP/1.1\" 413 120 "
                "\"-\" \"up/1\" 0.002000 -"});
}

std::size_t lines_for(double sample, bool log_all_errors, int requests, int status,
                      std::size_t worker = 0) {
  auto sink = std::make_shared<CountingSink>();
  AccessLogConfig c = config();
  c.sample = sample;
  c.log_all_errors = log_all_errors;
  AccessLog log(c, 2, sink, fixed_now);
  FakeExchange fx(request("GET", "/"));
  for (int i = 0; i < requests; ++i)
    log.on_request(completed(fx, status, worker));
  EXPECT_TRUE(log.flush());
  return sink->count();
}

TEST(AccessLog, SamplingLogsExactlyTheFractionOfEachWorkersRequests) {
  EXPECT_EQ(lines_for(1.0, true, 1000, 200), 1000u);
  EXPECT_EQ(lines_for(0.25, true, 1000, 200), 250u);
  EXPECT_EQ(lines_for(0.3, true, 1000, 200, 1), 300u);
  EXPECT_EQ(lines_for(0.001, true, 999, 200), 0u);
  EXPECT_EQ(lines_for(0.001, true, 1000, 200), 1u);
  EXPECT_EQ(lines_for(0.0, true, 1000, 404), 0u);
  EXPECT_EQ(lines_for(-1.0, true, 10, 200), 0u);
  EXPECT_EQ(lines_for(7.0, true, 10, 200), 10u);
}

TEST(AccessLog, SamplingIsPerWorkerAndEvenlySpread) {
  auto sink = std::make_shared<CapturingSink>();
  AccessLogConfig c = config();
  c.sample = 0.5;
  AccessLog log(c, 2, sink, fixed_now);
  std::vector<std::unique_ptr<FakeExchange>> exchanges;
  for (int i = 0; i < 8; ++i) {
    exchanges.push_back(std::make_unique<FakeExchange>(request("GET", "/" + std::to_string(i))));
    // Worker 0 sees requests 0..3, worker 1 requests 4..7: each logs its 2nd and 4th.
    log.on_request(completed(*exchanges.back(), 200, i < 4 ? 0 : 1));
  }
  ASSERT_TRUE(log.flush());
  std::vector<std::string> targets;
  for (const std::string& line : sink->lines())
    targets.push_back(line.substr(line.find("\"GET ") + 5, 2));
  EXPECT_EQ(targets, (std::vector<std::string>{"/1", "/3", "/5", "/7"}));
}

TEST(AccessLog, ErrorsAndRefusalsAreLoggedWhateverTheSample) {
  EXPECT_EQ(lines_for(0.0, true, 100, 500), 100u);
  EXPECT_EQ(lines_for(0.0, true, 100, 503), 100u);
  EXPECT_EQ(lines_for(0.0, false, 100, 500), 0u);
  EXPECT_EQ(lines_for(0.5, false, 100, 500), 50u);

  auto sink = std::make_shared<CountingSink>();
  AccessLogConfig c = config();
  c.sample = 0.0;
  AccessLog log(c, 1, sink, fixed_now);
  RefusedExchange refused("GET / HTTP/1.1\r\nHost: a\r\nBad Header: v\r\n\r\n");
  log.on_request({refused.exchange, 0, 400, 90, 10, Clock::now(), Clock::now(), refused.error});
  ASSERT_TRUE(log.flush());
  EXPECT_EQ(sink->count(), 1u);
}

TEST(AccessLog, RequestsOfUnknownWorkersAreNotLogged) {
  EXPECT_EQ(lines_for(1.0, true, 10, 200, 2), 0u);
}

// Bounded wait for the writer thread (not a timing assertion: the condition is the test).
template <typename Condition>
bool eventually(Condition condition) {
  for (int i = 0; i < 1000 && !condition(); ++i) std::this_thread::sleep_for(10ms);
  return condition();
}

TEST(AccessLog, LinesTravelInBatchesOf64InTheirOrder) {
  auto sink = std::make_shared<CapturingSink>();
  AccessLog log(config(), 1, sink, fixed_now);
  std::vector<std::unique_ptr<FakeExchange>> exchanges;
  for (int i = 0; i < 200; ++i) {
    exchanges.push_back(std::make_unique<FakeExchange>(request("GET", "/" + std::to_string(i))));
    log.on_request(completed(*exchanges.back(), 200));
  }
  // Three full batches are queued already; flush() hands over the last 8 lines.
  ASSERT_TRUE(eventually([&] { return sink->lines().size() == 192; }));
  EXPECT_EQ(sink->messages(), 3u);
  ASSERT_TRUE(log.flush());
  const auto lines = sink->lines();
  ASSERT_EQ(lines.size(), 200u);
  EXPECT_EQ(sink->messages(), 4u);
  for (int i = 0; i < 200; ++i)
    EXPECT_NE(lines[i].find("\"GET /" + std::to_string(i) + " HTTP/1.1\""), std::string::npos) << i;
}

TEST(AccessLog, APartialBatchIsWrittenWithinTheFlushInterval) {
  auto sink = std::make_shared<CapturingSink>();
  AccessLog log(config(), 1, sink, fixed_now);
  FakeExchange fx(request("GET", "/alone"));
  log.on_request(completed(fx, 200));
  // No flush(): the periodic hand-over (once a second) must bring it to the sink.
  ASSERT_TRUE(eventually([&] { return sink->lines().size() == 1; }));
  EXPECT_NE(sink->lines()[0].find("/alone"), std::string::npos);
}

TEST(AccessLog, AFullQueueDropsNewBatchesAndCountsTheirLines) {
  auto sink = std::make_shared<BlockingSink>();
  AccessLogConfig c = config();
  c.queue_size = 64;  // one batch, plus the two control slots batches may use too
  AccessLog log(c, 1, sink, fixed_now);
  FakeExchange fx(request("GET", "/"));
  constexpr std::size_t kLines = 1000;  // 15 batches of 64, then 40 lines in the worker's batch
  // The writer thread is stuck in its first write: were a full queue waited for, this would hang.
  for (std::size_t i = 0; i < kLines; ++i)
    log.on_request(completed(fx, 200));
  // Three batches hold the three slots (one in the sink's hands); the other 12 were dropped.
  EXPECT_EQ(log.dropped(), 12u * 64);
  sink->release();
  ASSERT_TRUE(eventually([&] { return sink->count() == 3u * 64; }));
  ASSERT_TRUE(log.flush());
  EXPECT_EQ(sink->count(), 3u * 64 + 40);
  EXPECT_EQ(sink->count() + log.dropped(), kLines);
}

TEST(AccessLog, WritesToAFileAndReopensItAfterLogrotateRenamedIt) {
  test::TempDir dir;
  AccessLogConfig c = config();
  c.output = AccessLogConfig::Output::kFile;
  c.path = dir.path() + "/access.log";
  AccessLog log(c, 1, fixed_now);
  FakeExchange before(request("GET", "/before"), peer("192.0.2.1"));
  FakeExchange after(request("GET", "/after"), peer("192.0.2.1"));
  for (int i = 0; i < 3; ++i)
    log.on_request(completed(before, 200));
  // As logrotate does: rename, then signal. Lines queued before reopen() belong to the old file.
  std::filesystem::rename(c.path, c.path + ".1");
  ASSERT_FALSE(log.reopen());
  for (int i = 0; i < 2; ++i)
    log.on_request(completed(after, 200));
  ASSERT_TRUE(log.flush());
  auto line = [](std::string_view target) {
    return "192.0.2.1 - - [10/Oct/2000:13:55:36 +0000] \"GET " + std::string(target) +
           " HTTP/1.1\" 200 2326 \"-\" \"-\" 0.000123 -\n";
  };
  const std::string before_line = line("/before");
  const std::string after_line = line("/after");
  EXPECT_EQ(read_file(c.path + ".1"), before_line + before_line + before_line);
  EXPECT_EQ(read_file(c.path), after_line + after_line);
}

TEST(AccessLog, ReopenDoesNothingForOtherOutputs) {
  AccessLog log(config(), 1, std::make_shared<CountingSink>(), fixed_now);
  EXPECT_FALSE(log.reopen());
}

TEST(AccessLog, AnUnwritableFileIsAStartUpError) {
  AccessLogConfig c = config();
  c.output = AccessLogConfig::Output::kFile;
  c.path = "/nonexistent-directory/access.log";
  EXPECT_THROW(AccessLog(c, 1), std::system_error);
}

struct LineCost {
  std::uint64_t allocations;  // over kCostLines lines
  std::size_t bytes;          // of the line
};

constexpr std::uint64_t kCostLines = 6400;

// Allocations over kCostLines on_request() calls once warm, the writer thread's side included
// (the counting sink allocates nothing).
LineCost cost_of_lines(AccessLogConfig::Format format, const std::string& target) {
  auto sink = std::make_shared<CountingSink>();
  AccessLog log(config(format), 1, sink, fixed_now);
  FakeExchange fx(request("GET", target, "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n"),
                  peer("192.0.2.1"));
  fx.ctx().set_request_id("0af7651916cd43dd8448eb211c80319c");
  for (int i = 0; i < 100; ++i)
    log.on_request(completed(fx, 200));
  EXPECT_TRUE(log.flush());
  const std::uint64_t before = test::allocation_count();
  for (std::uint64_t i = 0; i < kCostLines; ++i)
    log.on_request(completed(fx, 200));
  const std::uint64_t allocations = test::allocation_count() - before;
  EXPECT_TRUE(log.flush());
  EXPECT_EQ(sink->count(), 100u + kCostLines);
  return {allocations, sink->last_size()};
}

// Formatting and batching never allocate; spdlog 1.10 copies each batch into its queue slot
// through a buffer with 250 bytes in place, so a batch costs that one allocation (freed by the
// writer thread): 100 for 6,400 lines of 64-line batches, one more if the periodic hand-over
// happened to split a batch during the loop.
TEST(AccessLog, ALineAllocatesNothingABatchOfLinesOnce) {
  const LineCost combined = cost_of_lines(AccessLogConfig::Format::kCombined, "/plaintext");
  EXPECT_GE(combined.allocations, kCostLines / 64);
  EXPECT_LE(combined.allocations, kCostLines / 64 + 1);
  const LineCost json = cost_of_lines(AccessLogConfig::Format::kJson, "/plaintext");
  EXPECT_GT(json.bytes, 250u);  // keys and fixed-width values alone take 220 bytes
  EXPECT_GE(json.allocations, kCostLines / 64);
  EXPECT_LE(json.allocations, kCostLines / 64 + 1);
}

// Long lines fill a batch's 32 KiB before 64 lines: still one allocation per batch.
TEST(AccessLog, LongLinesAllocateOncePer32KiB) {
  const std::string long_target = "/" + std::string(kMaxTargetBytes + 100, 'x');
  for (const auto format : {AccessLogConfig::Format::kCombined, AccessLogConfig::Format::kJson}) {
    const LineCost cost = cost_of_lines(format, long_target);
    const std::uint64_t per_batch = 32 * 1024 / (cost.bytes + 1);
    EXPECT_GE(cost.allocations, kCostLines / per_batch);
    EXPECT_LE(cost.allocations, kCostLines / per_batch + 2);
  }
}

}  // namespace
}  // namespace surge::detail
