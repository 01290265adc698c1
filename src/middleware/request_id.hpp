#pragma once
// RequestId: gives every request an id (incoming or generated) and continues its W3C trace.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include <surge/builtin_middleware.hpp>
#include <surge/middleware.hpp>

#include "metrics/counter.hpp"
#include "middleware/id_generator.hpp"
#include "middleware/per_worker.hpp"
#include "middleware/traceparent.hpp"

#include "metrics/metric_sink.hpp"

namespace surge::detail {

/// Each request counts once in accepted, from_trace or generated.
struct RequestIdCounters {
  std::uint64_t accepted = 0;              // request id taken from the incoming header
  std::uint64_t from_trace = 0;            // request id taken from the incoming trace-id
  std::uint64_t generated = 0;             // request id generated here
  std::uint64_t invalid = 0;               // incoming id present but ignored
  std::uint64_t traces_continued = 0;      // valid incoming traceparent
  std::uint64_t traces_started = 0;        // new trace started here
  std::uint64_t traceparents_invalid = 0;  // incoming traceparent present but ignored
};

/// See make_request_id() for the contract.
///
/// Which id a request gets, first match wins:
///   1. a valid incoming `config.header` (when accept_incoming);
///   2. the trace-id of a valid incoming traceparent (when trace and request_id_from_trace);
///   3. a generated one: 32 hex digits, also the trace-id of the trace started here, if any.
/// The traceparent answered (when trace, and the trace was continued or started) keeps the
/// trace-id and flags and carries a new parent-id: this server's span.
class RequestId final : public Middleware, public MetricsProvider {
 public:
  /// Seeds each worker's generator from std::random_device, or, for reproducible tests, from
  /// `seed` (worker i gets a generator derived from seed and i).
  explicit RequestId(RequestIdConfig config, std::optional<std::uint64_t> seed = std::nullopt);

  void handle(Context& ctx, Next& next) override;
  void attach(std::size_t workers) override;

  /// Summed over workers; any thread.
  RequestIdCounters counters() const;
  /// Its counters as metrics (the exporter thread).
  void collect(MetricSink& sink) const override;

  /// A valid incoming id: 1..max_length characters from [A-Za-z0-9._:-].
  static bool valid_id(std::string_view id, std::size_t max_length);

 private:
  struct alignas(64) Shard {
    IdGenerator ids;
    Counter accepted, from_trace, generated, invalid;
    Counter traces_continued, traces_started, traceparents_invalid;
  };

  // The trace this request belongs to: trace_id is empty when there is none (trace off, or no
  // valid incoming traceparent and start_trace off).
  struct Trace {
    std::string_view trace_id;
    std::uint8_t flags = 0;
    bool continued = false;
  };

  std::string_view incoming_id(const Context& ctx, Shard& shard) const;
  Trace trace(const Context& ctx, Shard& shard, std::span<char, kTraceIdDigits> started) const;

  RequestIdConfig config_;
  std::optional<std::uint64_t> seed_;
  PerWorker<Shard> shards_;
};

}  // namespace surge::detail
