#pragma once
// Cors: cross-origin resource sharing; answers preflights before routing.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <surge/builtin_middleware.hpp>
#include <surge/context.hpp>
#include <surge/middleware.hpp>

#include "metrics/counter.hpp"
#include "middleware/per_worker.hpp"

#include "metrics/metric_sink.hpp"

namespace surge::detail {

struct CorsCounters {
  std::uint64_t preflights = 0;  // preflights answered, allowed or not
  std::uint64_t rejected = 0;    // preflights answered 403, and requests from disallowed origins
};

/// See make_cors() for the contract. Every header value that does not depend on the request is
/// joined once, at construction; a request only compares and copies.
class Cors final : public Middleware, public MetricsProvider {
 public:
  explicit Cors(const CorsConfig& config);

  void handle(Context& ctx, Next& next) override;
  void attach(std::size_t workers) override { shards_.reset(workers); }

  /// Summed over workers; any thread.
  CorsCounters counters() const;
  /// Its counters as metrics (the exporter thread).
  void collect(MetricSink& sink) const override;

 private:
  struct alignas(64) Shard {
    Counter preflights, rejected;
  };

  void preflight(Context& ctx, std::string_view origin, std::string_view method,
                 Shard& shard) const;
  bool origin_allowed(std::string_view origin) const;
  bool method_allowed(std::string_view method) const;
  // Access-Control-Allow-Origin (and -Credentials) for an allowed origin.
  void allow_origin(Response& response, std::string_view origin) const;

  std::vector<std::string> origins_;  // lowercased; without "*"
  std::vector<std::string> methods_;  // without "*"
  bool any_origin_ = false;
  bool any_method_ = false;
  bool credentials_ = false;
  bool reflect_headers_ = false;
  // The answer depends on the request's Origin (it is not a fixed "*"): responses carry Vary.
  bool varies_ = false;
  std::string methods_value_;
  std::string headers_value_;
  std::string exposed_value_;
  std::string max_age_value_;
  PerWorker<Shard> shards_;
};

}  // namespace surge::detail
