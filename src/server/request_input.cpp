#include "server/request_input.hpp"

#include <cstring>

namespace surge::detail {

void RequestInput::reserve_body(const RequestParser& parser) {
  const RequestHead& head = parser.head();
  if (head.chunked) return;
  const std::uint64_t missing = head.content_length - parser.body_received();
  const std::uint64_t buffered = buffer_.size() - position_;
  if (missing > buffered) buffer_.prepare(static_cast<std::size_t>(missing - buffered));
}

RequestInput::Room RequestInput::make_room(const RequestParser& parser, std::size_t max_header_bytes) {
  if (buffer_.capacity() - buffer_.size() >= kMinReadRoom) return Room::kReady;
  if (!parser.header_done()) {
    if (parser.request_offset() > 0) {
      // The request began behind earlier pipelined ones: move it to the front and parse it again
      // from its first byte (nothing of it was handed out yet), instead of growing the buffer.
      buffer_.erase_front(parser.request_offset());
      position_ = 0;
      return Room::kRestart;
    }
  } else if (parser.head().chunked) {
    // Chunks are decoded in place: reclaim the framing bytes between the decoded body and the
    // unparsed rest, so the buffer stays within header + body limits.
    const Span body = parser.head().body;
    const std::size_t body_end = body.offset + body.size;
    if (position_ > body_end) {
      const std::size_t rest = buffer_.size() - position_;
      std::memmove(buffer_.data() + body_end, buffer_.data() + position_, rest);
      buffer_.resize_down(body_end + rest);
      position_ = body_end;
    }
    if (buffer_.size() - position_ > max_header_bytes) return Room::kFull;  // endless chunk line
    if (buffer_.capacity() - buffer_.size() >= kMinReadRoom) return Room::kReady;
  }
  // The request's own body limit: a route may allow more than the server's limits.max_body_bytes.
  // Counted from the request's first byte: answered pipelined requests in front of its header
  // are not its bytes (its header stays where it is, so they cannot be dropped here).
  const std::size_t bound = max_header_bytes + parser.max_body() + 2 * kMinReadRoom;
  if (buffer_.size() - parser.request_offset() + kMinReadRoom > bound) return Room::kFull;
  buffer_.prepare(kMinReadRoom);
  return Room::kReady;
}

void RequestInput::consume_body(RequestParser& parser) {
  const Span body = parser.head().body;
  const std::size_t rest = buffer_.size() - position_;
  std::memmove(buffer_.data() + body.offset, buffer_.data() + position_, rest);
  buffer_.resize_down(body.offset + rest);
  position_ = body.offset;
  parser.consume_body();
}

void RequestInput::finish_request() {
  if (position_ == buffer_.size()) {
    buffer_.clear();
    position_ = 0;
    buffer_.release_if_large();
    return;
  }
  // Pipelined requests wait behind the answered one. Once the answered bytes are the larger
  // part, the rest moves to the front: a client's burst never grows the buffer past what one
  // request needs (each body reserves its room behind the bytes before it).
  if (position_ >= buffer_.size() - position_) {
    buffer_.erase_front(position_);
    position_ = 0;
  }
}

}  // namespace surge::detail
