#include "middleware/timeout.hpp"

#include <surge/builtin_middleware.hpp>

#include "http/exchange.hpp"

namespace surge {
namespace detail {

void Timeout::handle(Context& ctx, Next& next) {
  exchange_of(ctx).route().handler_timeout = deadline_;
  next();
}

}  // namespace detail

MiddlewarePtr make_timeout(std::chrono::milliseconds deadline) {
  return std::make_shared<detail::Timeout>(deadline);
}

}  // namespace surge
