// Context::suspend / stream_body / read_body, Suspension and ResponseStream: answering later on
// the request's own worker, and bodies read or written piece by piece.
#include <surge/context.hpp>
#include <surge/stream.hpp>

#include "http/exchange.hpp"
#include "server/worker.hpp"

namespace surge {

Suspension Context::suspend() {
  detail::Exchange& exchange = detail::exchange_of(*this);
  detail::Worker* worker = exchange.worker();
  std::uint32_t generation = 0;
  if (worker == nullptr || !worker->suspend(exchange, worker->handler_timeout(exchange), generation)) return {};
  return Suspension(worker, &exchange, exchange.async().slot, generation);
}

void Context::stream_body(BodyWriter& writer, std::uint64_t length) {
  detail::Exchange& exchange = detail::exchange_of(*this);
  exchange.response().set_stream_body(length == kUnknownLength ? detail::ResponseState::kUnknownLength
                                                               : length);
  exchange.response().mark_answered();
  exchange.embedder_task().writer = &writer;
  exchange.async().task = &exchange.embedder_task();
}

Suspension Context::read_body(BodyReader& reader) {
  detail::Exchange& exchange = detail::exchange_of(*this);
  if (!exchange.route().streams_body) return {};
  Suspension suspension = suspend();
  if (!suspension.active()) return suspension;
  exchange.embedder_task().reader = &reader;
  exchange.async().task = &exchange.embedder_task();
  return suspension;
}

bool Suspension::active() const {
  return worker_ != nullptr && worker_->pending_owner(slot_, generation_) != nullptr;
}

Context& Suspension::context() const { return exchange_->context(); }

void Suspension::resume() const {
  if (detail::ExchangeOwner* owner = active() ? worker_->pending_owner(slot_, generation_) : nullptr) {
    owner->complete();
  }
}

void Suspension::read_more() const {
  if (active()) exchange_->async().owner->resume_request_body();
}

bool ResponseStream::live() const {
  return ex_->serial() == serial_ && ex_->async().owner != nullptr &&
         ex_->async().task == &ex_->embedder_task();
}

bool ResponseStream::write(std::string_view piece) { return live() && ex_->async().owner->write_body(piece); }

void ResponseStream::end() {
  if (live()) ex_->async().owner->end_body();
}

void ResponseStream::abort() {
  if (live()) ex_->async().owner->abort_body();
}

}  // namespace surge
