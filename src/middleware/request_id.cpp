#include "middleware/request_id.hpp"

#include <array>

#include <surge/context.hpp>

namespace surge {
namespace detail {
namespace {

bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

}  // namespace

RequestId::RequestId(RequestIdConfig config, std::optional<std::uint64_t> seed)
    : config_(std::move(config)), seed_(seed) {
  attach(1);
}

void RequestId::attach(std::size_t workers) {
  shards_.reset(workers);
  // Seeding may cost a system call: here, at start-up, never per request.
  IdGenerator test_seeds(seed_.value_or(0));
  for (Shard& shard : shards_)
    shard.ids = IdGenerator(seed_ ? test_seeds.next() : random_seed());
}

bool RequestId::valid_id(std::string_view id, std::size_t max_length) {
  if (id.empty() || id.size() > max_length) return false;
  for (char c : id) {
    if (!id_char(c)) return false;
  }
  return true;
}

void RequestId::handle(Context& ctx, Next& next) {
  Shard& shard = shards_[ctx.worker()];
  std::array<char, kTraceIdDigits> started{};
  const Trace trace_of_request = trace(ctx, shard, started);

  std::string_view id = incoming_id(ctx, shard);
  std::array<char, kTraceIdDigits> generated{};
  if (!id.empty()) {
    shard.accepted.add();
  } else if (trace_of_request.continued && config_.request_id_from_trace) {
    id = trace_of_request.trace_id;
    shard.from_trace.add();
  } else if (!trace_of_request.trace_id.empty() && !trace_of_request.continued) {
    id = trace_of_request.trace_id;  // the new trace and the request share their random id
    shard.generated.add();
  } else {
    shard.ids.hex128(generated);
    id = {generated.data(), generated.size()};
    shard.generated.add();
  }
  ctx.set_request_id(id);

  // Before next(): the headers are then on every answer, errors from later middleware included.
  Response& response = ctx.response();
  response.add_header(config_.header, ctx.request_id());
  if (!trace_of_request.trace_id.empty() && !config_.trace_response_header.empty()) {
    std::array<char, kSpanIdDigits> span{};
    shard.ids.hex64(span);
    std::array<char, kTraceparentSize> value{};
    format_traceparent(value, trace_of_request.trace_id, {span.data(), span.size()},
                       trace_of_request.flags);
    response.add_header(config_.trace_response_header, {value.data(), value.size()});
  }
  next();
}

std::string_view RequestId::incoming_id(const Context& ctx, Shard& shard) const {
  if (!config_.accept_incoming) return {};
  const std::optional<std::string_view> incoming = ctx.request().header(config_.header);
  if (!incoming) return {};
  if (valid_id(*incoming, config_.max_length)) return *incoming;
  shard.invalid.add();
  return {};
}

RequestId::Trace RequestId::trace(const Context& ctx, Shard& shard,
                                  std::span<char, kTraceIdDigits> started) const {
  if (!config_.trace) return {};
  if (const std::optional<std::string_view> header = ctx.request().header("traceparent")) {
    if (const std::optional<TraceParent> parent = parse_traceparent(*header)) {
      shard.traces_continued.add();
      return {parent->trace_id, parent->flags, true};
    }
    shard.traceparents_invalid.add();
  }
  if (!config_.start_trace) return {};
  shard.ids.hex128(started);
  shard.traces_started.add();
  return {{started.data(), started.size()},
          config_.sample_new_traces ? std::uint8_t{1} : std::uint8_t{0},
          false};
}

RequestIdCounters RequestId::counters() const {
  RequestIdCounters sum;
  for (const Shard& shard : shards_) {
    sum.accepted += shard.accepted.value();
    sum.from_trace += shard.from_trace.value();
    sum.generated += shard.generated.value();
    sum.invalid += shard.invalid.value();
    sum.traces_continued += shard.traces_continued.value();
    sum.traces_started += shard.traces_started.value();
    sum.traceparents_invalid += shard.traceparents_invalid.value();
  }
  return sum;
}

void RequestId::collect(MetricSink& sink) const {
  const RequestIdCounters c = counters();
  constexpr std::string_view kHelp = "Request ids given by the request_id middleware, by where they came from.";
  sink.counter("surge_request_ids_total", kHelp, {{"source", "header"}}, static_cast<double>(c.accepted));
  sink.counter("surge_request_ids_total", kHelp, {{"source", "trace"}}, static_cast<double>(c.from_trace));
  sink.counter("surge_request_ids_total", kHelp, {{"source", "generated"}}, static_cast<double>(c.generated));
  sink.counter("surge_request_ids_invalid_total", "Incoming request ids ignored as invalid.", {},
               static_cast<double>(c.invalid));
}

}  // namespace detail

MiddlewarePtr make_request_id(RequestIdConfig config) {
  return std::make_shared<detail::RequestId>(std::move(config));
}


}  // namespace surge
