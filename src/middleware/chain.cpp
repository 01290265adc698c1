#include "middleware/chain.hpp"

namespace surge {

void Next::operator()() { chain_.call(index_, ctx_); }

namespace detail {

void Chain::call(std::size_t index, Context& ctx) const {
  if (index < middleware_.size()) {
    Next next(*this, index + 1, ctx);
    middleware_[index]->handle(ctx, next);
  } else if (handler_) {
    handler_(ctx);
  }
}

}  // namespace detail
}  // namespace surge
