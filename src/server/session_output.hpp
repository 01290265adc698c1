#pragma once
// SessionOutput: what a server session has still to send: bytes, then a file.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/response_state.hpp"
#include "memory/byte_buffer.hpp"
#include "net/socket.hpp"

namespace surge::detail {

/// Responses are appended to buffer(); a file body is sent after them with sendfile, so nothing
/// may be appended behind a file until it is sent. flush() writes until everything is sent or the
/// socket takes no more. The buffer goes back to the pool once everything is written, so a
/// connection between requests holds no output memory.
class SessionOutput final {
 public:
  /// How a flush ended.
  enum class Flushed : std::uint8_t {
    kAll,          // nothing left to send
    kBlocked,      // the socket takes no more now: wait for its output edge
    kPeerGone,     // the peer reset or closed (EPIPE, ECONNRESET)
    kError,        // another socket error (error())
    kFileShort,    // the file ended before the length announced for it
  };

  explicit SessionOutput(SlabPool* pool) : buffer_(pool) {}
  ~SessionOutput() { discard(); }
  SessionOutput(const SessionOutput&) = delete;
  SessionOutput& operator=(const SessionOutput&) = delete;

  ByteBuffer& buffer() { return buffer_; }
  /// The file to send after the bytes buffered so far (taken over: closed when sent or dropped).
  void set_file(FileBody file) { file_ = file; }
  bool has_file() const { return file_.fd >= 0; }
  /// Bytes or a file are waiting to be sent.
  bool pending() const { return position_ < buffer_.size() || file_.fd >= 0; }
  /// Buffered bytes not yet sent.
  std::size_t backlog() const { return buffer_.size() - position_; }
  std::string_view unsent() const { return buffer_.view().substr(position_); }
  /// Bytes sent since the last take_sent() (for rate checks and metrics).
  std::uint64_t take_sent() {
    const std::uint64_t sent = sent_;
    sent_ = 0;
    return sent;
  }
  /// The socket error behind kError.
  int error() const { return error_; }

  /// Sends what is pending. progress: set when at least one byte went out.
  Flushed flush(Socket& socket, bool& progress);
  /// Drops whatever is pending (the connection closes) and gives the memory back.
  void discard();
  /// Gives an empty buffer's memory back to the pool.
  void release_if_empty() {
    if (!pending()) buffer_.release();
  }

 private:
  Flushed send_file(Socket& socket, bool& progress);

  ByteBuffer buffer_;
  std::size_t position_ = 0;  // first byte of buffer_ not yet sent
  FileBody file_;
  std::uint64_t sent_ = 0;
  int error_ = 0;
};

}  // namespace surge::detail
