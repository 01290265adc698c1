// ConnectionModel: driving the session's read side. The invariants are in
// connection_model_checks.cpp.
#include "fuzz/connection_model.hpp"

#include <algorithm>
#include <cstring>

#include <boost/beast/http/error.hpp>

#include "fuzz/fuzz_check.hpp"

namespace surge::fuzz {

using boost::system::error_code;
using detail::RequestError;
using detail::RequestHead;
using detail::RequestInput;
using detail::Span;

ConnectionModel::ConnectionModel(const ModelLimits& limits, std::string_view stream)
    : limits_(limits),
      stream_(stream),
      pool_(limits.buffer_bytes, 8),
      input_(&pool_),
      exchange_(limits_.parser, &pool_) {}

Outcome ConnectionModel::run(std::span<const std::size_t> arrivals) {
  std::size_t arrived = 0;  // stream bytes that reached the socket
  std::size_t next = 0;
  for (;;) {
    const Step step = process();
    if (step == Step::kClose) break;
    if (step != Step::kNeedInput) continue;  // kFlush: responses are written, then on
    if (taken_ == arrived) {
      if (arrived == stream_.size()) {
        // The client stopped sending: a request begun and not answered is cut off.
        outcome_.partial = active_;
        break;
      }
      const std::size_t piece = next < arrivals.size() ? std::max<std::size_t>(arrivals[next++], 1)
                                                       : stream_.size() - arrived;
      arrived += std::min(piece, stream_.size() - arrived);
    }
    receive(arrived);
  }
  return std::move(outcome_);
}

void ConnectionModel::receive(std::size_t available_end) {
  // Http1Session::receive(): recv(2) into RequestInput::read_room().
  std::size_t room = 0;
  char* into = input_.read_room(room);
  SURGE_FUZZ_CHECK(room >= RequestInput::kMinReadRoom);
  SURGE_FUZZ_CHECK(into == input_.data() + input_.size() &&
                   input_.size() + room <= input_.capacity());
  const std::size_t n = std::min(room, available_end - taken_);
  std::memcpy(into, stream_.data() + taken_, n);
  input_.commit(n);
  taken_ += n;
  SURGE_FUZZ_CHECK(shift_ + input_.size() == taken_);  // the model's bookkeeping of moves
  check_streaming_memory();
}

ConnectionModel::Step ConnectionModel::process() {
  std::size_t idle_rounds = 0;
  for (;;) {
    if (!active_) {
      if (input_.drained()) return Step::kNeedInput;
      exchange_.begin(&peer_, nullptr, 0);
      active_ = true;
    }
    if (streaming() && !exchange_.async().pending) {
      // The handler's task answered when the body ended.
      if (Step step = respond(); step != Step::kContinue) return step;
      continue;
    }
    detail::RequestParser& parser = exchange_.parser();
    const std::size_t begin = input_.position();
    const bool header_was_done = parser.header_done();
    error_code ec;
    input_.parse(parser, ec);
    SURGE_FUZZ_CHECK(begin <= input_.position() && input_.position() <= input_.size());
    const std::size_t used = input_.position() - begin;
    if (!ec || ec == boost::beast::http::error::need_more) check_after_parse();
    if (ec && ec != boost::beast::http::error::need_more) return reject(detail::classify(ec));
    const bool header_now = parser.header_done() && !header_was_done;
    if (parser.header_done() && !in_flight_) {
      if (Step step = on_header_complete(); step != Step::kContinue) return step;
      // Answered at header time and released. (Http1Session::process() goes on to read its
      // exchange_, null by then, when a streamed route's handler answers at once.)
      if (!active_) continue;
    }
    if (streaming()) {
      if (exchange_.async().task != nullptr) {
        if (Step step = deliver_body(); step != Step::kContinue) return step;
      }
      // Answered once the body ended; else more input as for a body read in place.
      // (Http1Session::process() continues here whatever ec says, so it spins on need_more.)
      if (!exchange_.async().pending) continue;
    } else if (parser.done()) {
      if (Step step = dispatch(); step != Step::kContinue) return step;
      idle_rounds = 0;
      continue;
    }
    if (ec != boost::beast::http::error::need_more) {
      // Neither an error nor "need more", nothing consumed and nothing learnt: it would spin.
      if (used == 0 && !header_now) {
        SURGE_FUZZ_CHECK_MSG(++idle_rounds < 8,
                             "parse() keeps returning without progress or need_more");
      }
      continue;
    }
    return need_input();
  }
}

ConnectionModel::Step ConnectionModel::need_input() {
  detail::RequestParser& parser = exchange_.parser();
  if (!parser.started()) {
    // Only empty lines so far: not a request yet.
    finish_exchange();
    return Step::kNeedInput;
  }
  const std::size_t request_offset = parser.request_offset();
  const std::size_t position = input_.position();
  const std::size_t rest = input_.size() - position;
  const RequestInput::Room room = input_.make_room(parser, limits_.parser.max_header_bytes);
  if (room == RequestInput::Room::kRestart) {
    // Moved to the front: a fresh parser reads it again from its first byte.
    SURGE_FUZZ_CHECK(!parser.header_done() && request_offset > 0 && input_.position() == 0);
    SURGE_FUZZ_CHECK(input_.size() == position + rest - request_offset);
    shift_ += request_offset;
    exchange_.reset();
    exchange_.begin(&peer_, nullptr, 0);
    return Step::kNeedInput;
  }
  // Chunk framing may be reclaimed: the unparsed rest moves down, as it was.
  SURGE_FUZZ_CHECK(input_.position() <= position && input_.size() - input_.position() == rest);
  shift_ += position - input_.position();
  if (room == RequestInput::Room::kFull) {
    check_refusal_for_size();
    return reject(parser.header_done() ? RequestError::kBodyTooLarge
                                       : RequestError::kHeaderTooLarge);
  }
  SURGE_FUZZ_CHECK(input_.capacity() - input_.size() >= RequestInput::kMinReadRoom);
  check_streaming_memory();
  return Step::kNeedInput;
}

ConnectionModel::Step ConnectionModel::on_header_complete() {
  in_flight_ = true;
  detail::RequestParser& parser = exchange_.parser();
  const RequestHead& head = parser.head();
  exchange_.set_base(input_.data());

  snapshot_header();

  if (RequestError e = app_on_header(); e != RequestError::kNone) return reject(e);
  SURGE_FUZZ_CHECK(parser.max_body() == body_limit());
  if (exchange_.route().streams_body) return dispatch();  // the handler runs now
  if (parser.done()) return Step::kContinue;
  input_.reserve_body(parser);
  if (!head.chunked) {
    // Room for the whole Content-Length body at once (this may move the buffer).
    const std::uint64_t missing = head.content_length - parser.body_received();
    SURGE_FUZZ_CHECK(input_.capacity() - input_.position() >= missing);
  }
  if (head.expect_continue && input_.drained()) {
    ++outcome_.continues;
    return Step::kFlush;
  }
  return Step::kContinue;
}

RequestError ConnectionModel::app_on_header() {
  // What RouterApp::on_header does to the exchange: the route's own body limit, and whether it
  // takes its body as it arrives.
  exchange_.route().streams_body = limits_.route_streams_body;
  const std::uint64_t route = limits_.route_max_body_bytes;
  if (route == 0) return RequestError::kNone;
  const RequestHead& head = exchange_.head();
  if (head.has_content_length && head.content_length > route)
    return RequestError::kRouteBodyTooLarge;
  exchange_.parser().limit_body(route);
  snapshot_.route_limit = route;
  return RequestError::kNone;
}

ConnectionModel::Step ConnectionModel::dispatch() {
  // The handler: it answers a complete request at once; on a route that streams its body, it
  // answers once its task has taken the whole body.
  exchange_.set_base(input_.data());
  if (!exchange_.route().streams_body || exchange_.parser().done()) return respond();
  exchange_.async().pending = true;
  exchange_.async().task = this;
  if (exchange_.head().expect_continue && input_.drained()) {
    ++outcome_.continues;
    return Step::kFlush;
  }
  return Step::kContinue;
}

ConnectionModel::Step ConnectionModel::deliver_body() {
  detail::RequestParser& parser = exchange_.parser();
  const Span body = exchange_.head().body;
  if (body.size > 0) {
    exchange_.set_base(input_.data());
    // A task that pauses only stops the reading until it resumes: nothing the buffer sees.
    exchange_.async().task->on_request_body(exchange_.view(body));
    const std::size_t position = input_.position();
    const std::size_t rest = input_.size() - position;
    input_.consume_body(parser);
    // Taken: the unparsed rest moved down to where the piece began.
    SURGE_FUZZ_CHECK(exchange_.head().body.size == 0 &&
                     exchange_.head().body.offset == body.offset);
    SURGE_FUZZ_CHECK(input_.position() == body.offset && input_.size() == body.offset + rest);
    shift_ += position - input_.position();
  }
  if (parser.done() && exchange_.async().task != nullptr) {
    exchange_.async().task->on_request_body_end();
  }
  return Step::kContinue;
}

bool ConnectionModel::on_request_body(std::string_view piece) {
  // A piece is the decoded bytes where the body began, before what is not parsed yet.
  SURGE_FUZZ_CHECK(!piece.empty() && piece.data() == input_.data() + exchange_.head().body.offset);
  SURGE_FUZZ_CHECK(piece.data() + piece.size() <= input_.data() + input_.position());
  snapshot_.streamed.append(piece);
  SURGE_FUZZ_CHECK(snapshot_.streamed.size() == exchange_.parser().body_received());
  return true;
}

void ConnectionModel::on_request_body_end() {
  // The task answers (ExchangeOwner::complete()).
  exchange_.async().pending = false;
  exchange_.async().task = nullptr;
}

ConnectionModel::Step ConnectionModel::respond() {
  exchange_.set_base(input_.data());
  const RequestHead& head = exchange_.head();
  const std::string_view body = exchange_.route().streams_body
                                    ? std::string_view(snapshot_.streamed)
                                    : exchange_.view(head.body);
  check_complete_request(body);
  ServedRequest served;
  served.method = exchange_.view(head.method_text);
  served.target = exchange_.view(head.target);
  served.version = head.version;
  served.keep_alive = head.keep_alive;
  served.chunked = head.chunked;
  for (std::uint32_t i = 0; i < head.header_count; ++i) {
    served.headers.emplace_back(exchange_.view(exchange_.header(i).name),
                                exchange_.view(exchange_.header(i).value));
  }
  served.body = body;
  outcome_.served.push_back(std::move(served));
  const bool close = !head.keep_alive;
  finish_exchange();
  if (close) {
    outcome_.closed_by_response = true;
    return Step::kClose;
  }
  return Step::kContinue;
}

ConnectionModel::Step ConnectionModel::reject(RequestError error) {
  outcome_.error = error;
  exchange_.async().task = nullptr;  // cancelled
  finish_exchange();
  return Step::kClose;
}

void ConnectionModel::finish_exchange() {
  // Worker::release_exchange(): the recycling pool resets the exchange for the next request.
  if (active_) exchange_.reset();
  active_ = false;
  in_flight_ = false;
  snapshot_ = {};
  // Drained, the buffer starts over; otherwise the next requests' bytes stay unparsed, wherever
  // they are put.
  const std::size_t position = input_.position();
  const std::size_t rest = input_.size() - position;
  input_.finish_request();
  SURGE_FUZZ_CHECK(input_.position() <= position && input_.size() - input_.position() == rest);
  shift_ += position - input_.position();
}

}  // namespace surge::fuzz
