#include "middleware/recover.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <string_view>

#include <surge/context.hpp>

#include <spdlog/logger.h>

#include "http/exception_text.hpp"

namespace surge {
namespace detail {
namespace {

constexpr std::string_view kBody = "internal server error\n";

std::string_view or_dash(std::string_view s) {
  return s.empty() ? std::string_view("-") : s;
}

}  // namespace

Recover::Recover(std::shared_ptr<spdlog::logger> log, RecoverConfig config)
    : log_(std::move(log)), config_(std::move(config)) {}

void Recover::handle(Context& ctx, Next& next) {
  try {
    next();
  } catch (const std::exception& e) {
    recover(ctx, e.what());
  } catch (...) {
    recover(ctx, "non-standard exception");
  }
}

void Recover::recover(Context& ctx, const char* what) noexcept {
  shards_[ctx.worker()].panics.add();
  log(ctx, what);
  // A deferred response is the Deferred's to complete (see make_recover); writing a 500 into it
  // here would be mixed with whatever its completion writes later.
  if (ctx.deferred()) return;
  Response& response = ctx.response();
  try {
    response.clear();
    ctx.text(500, kBody);
    if (!config_.request_id_header.empty() && !ctx.request_id().empty()) {
      response.add_header(config_.request_id_header, ctx.request_id());
    }
  } catch (...) {
    // Out of memory while writing the 500: answer it without a body rather than not at all.
    response.clear();
    response.set_status(500);
  }
}

void Recover::log(Context& ctx, const char* what) noexcept {
  if (!log_) return;
  try {
    std::array<char, kMaxExceptionText> buffer{};
    const Request& request = ctx.request();
    log_->error("recovered from exception: {} (request_id={} route={} method={} path={})",
                exception_text(what, buffer), or_dash(ctx.request_id()), or_dash(ctx.route()),
                request.method_name(), request.path());
  } catch (...) {
    // spdlog reports its own failures through its error handler; nothing more to do here.
  }
}

RecoverCounters Recover::counters() const {
  RecoverCounters sum;
  for (const Shard& shard : shards_)
    sum.panics += shard.panics.value();
  return sum;
}

void Recover::collect(MetricSink& sink) const {
  sink.counter("surge_panics_total", "Exceptions that escaped a handler and became a 500 (recover middleware).",
               {}, static_cast<double>(counters().panics));
}

}  // namespace detail

MiddlewarePtr make_recover(std::shared_ptr<spdlog::logger> log, RecoverConfig config) {
  return std::make_shared<detail::Recover>(std::move(log), std::move(config));
}


}  // namespace surge
