#include "fuzz/connection_model.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

#include <surge/method.hpp>

#include <boost/beast/http/error.hpp>

#include "fuzz/fuzz_check.hpp"

namespace surge::fuzz {
namespace {

using boost::system::error_code;
using detail::RequestError;
using detail::RequestHead;
using detail::Span;

// As connection.cpp: read at least this much at a time; a smaller free tail is compacted or grown.
constexpr std::size_t kMinReadRoom = 1024;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Every '%' starts a %HH escape, and there is no fragment: what the parser promises the router.
bool clean_escapes(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '#') return false;
    if (s[i] != '%') continue;
    if (i + 2 >= s.size() || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0) return false;
    i += 2;
  }
  return true;
}

// A reference decoder of a chunked body (RFC 9112 7.1) that the parser accepted: the chunks'
// data, or nothing if the framing does not hold up. Extensions and trailer fields are skipped.
std::optional<std::string> decode_chunked(std::string_view framed) {
  std::string data;
  std::size_t i = 0;
  for (;;) {
    std::uint64_t size = 0;
    std::size_t digits = 0;
    for (; i < framed.size() && hex_value(framed[i]) >= 0; ++i, ++digits) {
      if (size >> 60 != 0) return std::nullopt;
      size = size * 16 + static_cast<std::uint64_t>(hex_value(framed[i]));
    }
    const std::size_t eol = framed.find("\r\n", i);
    if (digits == 0 || eol == std::string_view::npos) return std::nullopt;
    i = eol + 2;
    if (size == 0) {
      // Trailer fields, then the empty line that ends the message and the bytes given here.
      const std::string_view rest = framed.substr(i);
      if (rest != "\r\n" && !(rest.size() >= 4 && rest.substr(rest.size() - 4) == "\r\n\r\n")) {
        return std::nullopt;
      }
      return data;
    }
    if (framed.size() - i < size + 2 || framed.substr(i + size, 2) != "\r\n") return std::nullopt;
    data.append(framed.substr(i, size));
    i += size + 2;
  }
}

std::string printable(std::string_view bytes) {
  std::string out;
  for (char c : bytes.substr(0, 200)) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out += c;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace

ConnectionModel::ConnectionModel(const ModelLimits& limits, std::string_view stream)
    : limits_(limits),
      stream_(stream),
      pool_(limits.buffer_bytes, 8),
      in_(&pool_),
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
  // Connection::receive(): recv(2) into the free room, at least kMinReadRoom of it.
  const std::size_t room = in_.writable(kMinReadRoom);
  const std::size_t n = std::min(room, available_end - taken_);
  std::memcpy(in_.data() + in_.size(), stream_.data() + taken_, n);
  in_.commit(n);
  taken_ += n;
  SURGE_FUZZ_CHECK(shift_ + in_.size() == taken_);  // the model's own bookkeeping
}

ConnectionModel::Step ConnectionModel::process() {
  std::size_t idle_rounds = 0;
  for (;;) {
    if (!active_) {
      if (read_pos_ == in_.size()) return Step::kNeedInput;
      exchange_.begin(&peer_, nullptr, 0);
      active_ = true;
    }
    detail::RequestParser& parser = exchange_.parser();
    const std::size_t begin = read_pos_;
    const bool header_was_done = parser.header_done();
    error_code ec;
    const std::size_t used = parser.parse(in_.data(), read_pos_, in_.size(), ec);
    SURGE_FUZZ_CHECK(used <= in_.size() - begin);
    read_pos_ += used;
    if (!ec || ec == boost::beast::http::error::need_more) check_after_parse(begin, used);
    if (ec == boost::beast::http::error::need_more) {
      if (!parser.started()) {
        // Only empty lines so far: not a request yet.
        finish_exchange();
        return Step::kNeedInput;
      }
      if (!make_room()) {
        return reject(parser.header_done() ? RequestError::kBodyTooLarge
                                           : RequestError::kHeaderTooLarge);
      }
      return Step::kNeedInput;
    }
    if (ec) return reject(detail::classify(ec));
    const bool header_now = parser.header_done() && !header_was_done;
    if (parser.header_done() && !in_flight_) {
      if (Step step = on_header_complete(); step != Step::kContinue) return step;
    }
    if (parser.done()) {
      if (Step step = dispatch(); step != Step::kContinue) return step;
      idle_rounds = 0;
      continue;
    }
    // Neither an error nor "need more", nothing consumed and nothing learnt: process() would spin.
    if (used == 0 && !header_now) {
      SURGE_FUZZ_CHECK_MSG(++idle_rounds < 8,
                           "parse() keeps returning without progress or need_more");
    }
  }
}

ConnectionModel::Step ConnectionModel::on_header_complete() {
  in_flight_ = true;
  detail::RequestParser& parser = exchange_.parser();
  const RequestHead& head = parser.head();
  exchange_.set_base(in_.data());

  // Remember every view of the header as the handler would see it now, and check that each is
  // the client's own bytes.
  snapshot_ = {};
  auto keep = [&](Span span) {
    if (span.size == 0) return;
    const std::string bytes(span.in(in_.data()));
    const std::size_t at = shift_ + span.offset;
    SURGE_FUZZ_CHECK(at + span.size <= stream_.size());
    SURGE_FUZZ_CHECK_MSG(stream_.substr(at, span.size) == bytes,
                         "a header view is not what the client sent: " + printable(bytes));
    snapshot_.spans.emplace_back(span, bytes);
  };
  keep(head.method_text);
  keep(head.target);
  keep(head.path);
  keep(head.query);
  keep(head.host);
  for (std::uint32_t i = 0; i < head.header_count; ++i) {
    keep(exchange_.header(i).name);
    keep(exchange_.header(i).value);
  }
  snapshot_.body_stream_offset = shift_ + head.body.offset;
  if (head.expect_continue) {
    SURGE_FUZZ_CHECK(head.version == 11);
    SURGE_FUZZ_CHECK(head.chunked || head.content_length > 0);
  }

  if (RequestError e = app_on_header(); e != RequestError::kNone) return reject(e);
  if (parser.done()) return Step::kContinue;
  if (!head.chunked) {
    // The whole body goes right after the header: room for it once (this may move the buffer).
    const std::uint64_t missing = head.content_length - parser.body_received();
    const std::uint64_t buffered = in_.size() - read_pos_;
    if (missing > buffered) in_.prepare(static_cast<std::size_t>(missing - buffered));
  }
  if (head.expect_continue && read_pos_ == in_.size()) {
    ++outcome_.continues;
    return Step::kFlush;
  }
  return Step::kContinue;
}

RequestError ConnectionModel::app_on_header() {
  // What RouterApp::on_header does to the parser: a route's own body limit.
  const std::uint64_t route = limits_.route_max_body_bytes;
  if (route == 0) return RequestError::kNone;
  const RequestHead& head = exchange_.parser().head();
  if (head.has_content_length && head.content_length > route)
    return RequestError::kRouteBodyTooLarge;
  exchange_.parser().limit_body(route);
  snapshot_.route_limit = route;
  return RequestError::kNone;
}

ConnectionModel::Step ConnectionModel::dispatch() {
  exchange_.set_base(in_.data());
  check_complete_request();
  const RequestHead& head = exchange_.parser().head();
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
  served.body = exchange_.view(head.body);
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
  finish_exchange();
  return Step::kClose;
}

void ConnectionModel::finish_exchange() {
  // Worker::release_exchange(): the recycling pool resets the exchange for the next request.
  if (active_) exchange_.reset();
  active_ = false;
  in_flight_ = false;
  snapshot_ = {};
  if (read_pos_ == in_.size()) {
    shift_ += in_.size();
    in_.clear();
    read_pos_ = 0;
    in_.release_if_large();
  }
}

bool ConnectionModel::make_room() {
  if (in_.capacity() - in_.size() >= kMinReadRoom) return true;
  detail::RequestParser& parser = exchange_.parser();
  if (!parser.header_done()) {
    if (parser.request_offset() > 0) {
      // A request behind earlier pipelined ones: moved to the front and parsed again.
      shift_ += parser.request_offset();
      in_.erase_front(parser.request_offset());
      read_pos_ = 0;
      exchange_.reset();
      exchange_.begin(&peer_, nullptr, 0);
      if (in_.capacity() - in_.size() >= kMinReadRoom) return true;
    }
  } else if (exchange_.head().chunked) {
    // Chunks are decoded in place: the framing between the decoded body and the rest goes.
    const Span body = exchange_.head().body;
    const std::size_t body_end = body.offset + body.size;
    if (read_pos_ > body_end) {
      const std::size_t rest = in_.size() - read_pos_;
      std::memmove(in_.data() + body_end, in_.data() + read_pos_, rest);
      in_.resize_down(body_end + rest);
      shift_ += read_pos_ - body_end;
      read_pos_ = body_end;
    }
    if (in_.size() - read_pos_ > limits_.parser.max_header_bytes)
      return false;  // endless chunk line
    if (in_.capacity() - in_.size() >= kMinReadRoom) return true;
  }
  const std::size_t bound =
      limits_.parser.max_header_bytes + limits_.parser.max_body_bytes + 2 * kMinReadRoom;
  if (in_.size() + kMinReadRoom > bound) {
    if (parser.header_done() && exchange_.head().chunked) {
      // A chunked body is refused here as too large: it must be, by the limit that applies to it
      // (the route's when it has one), counting what is buffered but not decoded yet.
      const std::uint64_t pending = exchange_.head().body.size + (in_.size() - read_pos_);
      SURGE_FUZZ_CHECK_MSG(pending > body_limit(), "a chunked body within its limit (" +
                                                       std::to_string(body_limit()) +
                                                       " bytes) is refused as too large with " +
                                                       std::to_string(pending) + " bytes received");
    }
    return false;
  }
  in_.prepare(kMinReadRoom);
  return true;
}

std::uint64_t ConnectionModel::body_limit() const {
  return snapshot_.route_limit != 0 ? snapshot_.route_limit : limits_.parser.max_body_bytes;
}

void ConnectionModel::check_after_parse(std::size_t begin, std::size_t used) {
  (void)begin;
  (void)used;
  SURGE_FUZZ_CHECK(read_pos_ <= in_.size());
  detail::RequestParser& parser = exchange_.parser();
  if (parser.started()) SURGE_FUZZ_CHECK(parser.request_offset() < in_.size());
  if (!parser.header_done()) {
    SURGE_FUZZ_CHECK(!parser.done());
    return;
  }
  const RequestHead& head = parser.head();
  const std::size_t header_end = head.body.offset;
  SURGE_FUZZ_CHECK(header_end > parser.request_offset());
  SURGE_FUZZ_CHECK(header_end - parser.request_offset() <= limits_.parser.max_header_bytes);
  SURGE_FUZZ_CHECK(head.body.offset + head.body.size <= read_pos_);  // decoded before the rest
  SURGE_FUZZ_CHECK(head.body.size <= body_limit());
  SURGE_FUZZ_CHECK(head.version == 10 || head.version == 11);
  SURGE_FUZZ_CHECK(!(head.chunked && head.has_content_length));
  SURGE_FUZZ_CHECK(head.header_count <= limits_.parser.max_header_count);
  if (!head.chunked) SURGE_FUZZ_CHECK(head.body.size <= head.content_length);
  check_head_spans();
}

void ConnectionModel::check_head_spans() {
  const detail::RequestParser& parser = exchange_.parser();
  const RequestHead& head = parser.head();
  const std::size_t first = parser.request_offset();
  const std::size_t header_end = head.body.offset;
  auto inside = [&](Span span, const char* what) {
    if (span.size == 0) return;
    SURGE_FUZZ_CHECK_MSG(span.offset >= first && span.offset + span.size <= header_end,
                         std::string(what) + " lies outside the request's header section");
  };
  inside(head.method_text, "the method");
  inside(head.target, "the target");
  inside(head.path, "the path");
  inside(head.query, "the query");
  inside(head.host, "the host");
  for (std::uint32_t i = 0; i < head.header_count; ++i) {
    inside(exchange_.header(i).name, "a field name");
    inside(exchange_.header(i).value, "a field value");
  }
}

void ConnectionModel::check_complete_request() {
  const detail::RequestParser& parser = exchange_.parser();
  const RequestHead& head = parser.head();
  SURGE_FUZZ_CHECK(parser.header_done() && in_flight_);

  // Whatever the buffer went through (grown for the body, chunk framing compacted away), every
  // view of the header still shows the same bytes.
  for (const auto& [span, bytes] : snapshot_.spans) {
    SURGE_FUZZ_CHECK(span.offset + span.size <= in_.size());
    SURGE_FUZZ_CHECK_MSG(span.in(in_.data()) == bytes,
                         "a header view changed while the body was read: " + printable(bytes) +
                             " is now " + printable(span.in(in_.data())));
  }

  // A valid head.
  Method method;
  SURGE_FUZZ_CHECK(parse_method(exchange_.view(head.method_text), method) && method == head.method);
  const std::string_view target = exchange_.view(head.target);
  const std::string_view path = exchange_.view(head.path);
  SURGE_FUZZ_CHECK(!target.empty());
  if (path.empty()) {
    SURGE_FUZZ_CHECK(target.front() != '/');  // absolute-form without a path
  } else {
    SURGE_FUZZ_CHECK(path.front() == '/' || (path == "*" && head.method == Method::kOptions));
  }
  SURGE_FUZZ_CHECK_MSG(clean_escapes(path) && clean_escapes(exchange_.view(head.query)),
                       printable(target));
  SURGE_FUZZ_CHECK(detail::is_valid_host(exchange_.view(head.host)));
  if (head.has_content_length) {
    SURGE_FUZZ_CHECK(head.body.size == head.content_length);
  } else if (!head.chunked) {
    SURGE_FUZZ_CHECK(head.body.size == 0);
  }

  // The body is what the client framed: the Content-Length bytes as they are, or the chunks'
  // data decoded.
  const std::size_t end = shift_ + read_pos_;  // stream offset just past this request
  SURGE_FUZZ_CHECK(snapshot_.body_stream_offset <= end && end <= taken_);
  const std::string_view framed =
      stream_.substr(snapshot_.body_stream_offset, end - snapshot_.body_stream_offset);
  const std::string_view body = exchange_.view(head.body);
  if (head.chunked) {
    const std::optional<std::string> expected = decode_chunked(framed);
    SURGE_FUZZ_CHECK_MSG(expected.has_value(),
                         "accepted chunked framing that does not decode: " + printable(framed));
    SURGE_FUZZ_CHECK_MSG(*expected == body, "decoded body " + printable(body) +
                                                " differs from the chunks' data " +
                                                printable(*expected));
  } else {
    SURGE_FUZZ_CHECK_MSG(framed == body, "body " + printable(body) +
                                             " differs from the bytes sent " + printable(framed));
  }
}

}  // namespace surge::fuzz
