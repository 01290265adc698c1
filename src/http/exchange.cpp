#include "http/exchange.hpp"

#include <surge/middleware.hpp>

namespace surge::detail {

Exchange::Exchange(const ParserLimits& limits, SlabPool* body_pool)
    : limits_(limits),
      headers_(std::make_unique<HeaderEntry[]>(limits.max_header_count)),
      context_(*this),
      response_(body_pool) {}

void Exchange::begin(const PeerAddress* peer, Worker* worker, std::size_t worker_index) {
  peer_ = peer;
  worker_ = worker;
  worker_index_ = worker_index;
  ++serial_;
  parser_.emplace(limits_, headers_.get());
}

void Exchange::reset() {
  parser_.reset();
  base_ = nullptr;
  started_ = {};
  request_id_ = {};
  arena_.reset();
  route_.reset();
  response_.reset();
  async_ = {};
  embedder_task_.reader = nullptr;
  embedder_task_.writer = nullptr;
  completion_count_ = 0;
}

bool EmbedderTask::on_request_body(std::string_view piece) {
  return reader == nullptr || reader->on_data(piece);
}

void EmbedderTask::on_request_body_end() {
  if (reader == nullptr) return;
  BodyReader* done = reader;
  reader = nullptr;
  done->on_end();
}

void EmbedderTask::on_response_writable() {
  if (writer == nullptr) return;
  ResponseStream stream = exchange_.response_stream();
  writer->on_writable(stream);
}

void EmbedderTask::on_cancelled() {
  BodyReader* r = reader;
  BodyWriter* w = writer;
  reader = nullptr;
  writer = nullptr;
  if (r != nullptr) r->on_cancel();
  if (w != nullptr) w->on_cancel();
}

bool Exchange::add_param(std::string_view name, std::string_view value) {
  if (route_.param_count == route_.params.size()) return false;
  route_.params[route_.param_count++] = {name, value, {}, false};
  return true;
}

bool Exchange::add_buffer_param(std::string_view name, Span value) {
  if (route_.param_count == route_.params.size()) return false;
  route_.params[route_.param_count++] = {name, {}, value, true};
  return true;
}

std::string_view Exchange::param(std::string_view name) const {
  for (std::size_t i = 0; i < route_.param_count; ++i) {
    const PathParam& p = route_.params[i];
    if (p.name == name) return p.buffered ? view(p.in_buffer) : p.stable;
  }
  return {};
}

bool Exchange::add_completion_call(Middleware* middleware, std::uint64_t cookie) {
  if (completion_count_ == kMaxCompletionCalls) return false;
  completion_calls_[completion_count_++] = {middleware, cookie};
  return true;
}

void Exchange::run_completion_calls() {
  // Innermost first, as the chain unwinds. Cleared first so a callback cannot recurse into it.
  std::uint8_t count = completion_count_;
  completion_count_ = 0;
  while (count > 0) {
    const CompletionCall& call = completion_calls_[--count];
    call.middleware->on_complete(context_, call.cookie);
  }
}

}  // namespace surge::detail
