#pragma once
// RequestInput: a server session's read buffer and how far the requests in it are parsed.

#include <cstddef>
#include <cstdint>

#include <boost/system/error_code.hpp>

#include "http/request_parser.hpp"
#include "memory/byte_buffer.hpp"

namespace surge::detail {

/// Pipelined requests are parsed one after the other in place; a request's header stays where it
/// was read until it is answered (its fields are offsets into the buffer). Room for more input is
/// made as nginx does: a Content-Length body gets its room at once, chunk framing is reclaimed as
/// chunks are decoded in place, a partial request behind answered ones moves to the front, and a
/// streamed body's pieces leave once taken, so it never grows the buffer. Pure buffer logic,
/// without a socket: the session reads into it, and the request parser fuzzer drives it exactly as
/// the session does.
class RequestInput final {
 public:
  /// Read at least this much at a time; a smaller free tail is first compacted or grown.
  static constexpr std::size_t kMinReadRoom = 1024;

  explicit RequestInput(SlabPool* pool) : buffer_(pool) {}

  char* data() { return buffer_.data(); }
  const char* data() const { return buffer_.data(); }
  std::size_t size() const { return buffer_.size(); }
  std::size_t capacity() const { return buffer_.capacity(); }
  /// The first byte not yet parsed.
  std::size_t position() const { return position_; }
  /// Everything read is parsed.
  bool drained() const { return position_ == buffer_.size(); }

  /// Where the next read goes: at least kMinReadRoom bytes (the buffer may grow or move).
  char* read_room(std::size_t& room) {
    room = buffer_.writable(kMinReadRoom);
    return buffer_.data() + buffer_.size();
  }
  /// n bytes were read into read_room().
  void commit(std::size_t n) { buffer_.commit(n); }

  /// Parses from position() to the end of what was read, and moves position() past what the
  /// parser consumed. ec as RequestParser::parse.
  void parse(RequestParser& parser, boost::system::error_code& ec) {
    position_ += parser.parse(buffer_.data(), position_, buffer_.size(), ec);
  }
  /// The header says a body of Content-Length bytes follows: room for all of it, once.
  void reserve_body(const RequestParser& parser);

  /// What make_room() did.
  enum class Room : std::uint8_t {
    kReady,    // there is room for the next read
    kRestart,  // the partial request was moved to the front: parse it again with a fresh parser
    kFull,     // the request outgrew its limits (431 before the header ends, 413 after)
  };
  /// More input is needed: makes room for it within max_header_bytes and the request's own body
  /// limit (parser.max_body()).
  Room make_room(const RequestParser& parser, std::size_t max_header_bytes);
  /// A streamed body: its decoded bytes (parser.head().body) were taken; the unparsed rest moves
  /// down over them, where the next bytes decode.
  void consume_body(RequestParser& parser);

  /// The current request is answered: when nothing is left to parse, the buffer starts over (and
  /// a buffer that grew into the heap goes back); when the pipelined rest is smaller than what
  /// was answered, it moves to the front.
  void finish_request();
  /// Drops everything read (a lingering close discards input).
  void clear() {
    buffer_.clear();
    position_ = 0;
  }
  /// Gives the memory back (an idle or closed session).
  void release() {
    buffer_.release();
    position_ = 0;
  }
  /// Releases the memory only when nothing is buffered (a spurious wake-up of a parked session).
  void release_if_empty() {
    if (buffer_.empty()) buffer_.release();
  }

 private:
  ByteBuffer buffer_;
  std::size_t position_ = 0;
};

}  // namespace surge::detail
