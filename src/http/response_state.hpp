#pragma once
// ResponseState: the response a handler builds, with its body: bytes, a file, or a stream.

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "memory/byte_buffer.hpp"

namespace surge::detail {


/// A file sent as the body with sendfile(2): owned (closed) by whoever holds it.
struct FileBody {
  int fd = -1;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

/// What the body of a response is.
enum class BodyKind : std::uint8_t {
  kBytes,   // body(): written with the head
  kFile,    // a file sent after the head (sendfile)
  kStream,  // produced piece by piece after the head, with back-pressure (ExchangeTask)
};

/// Status, content type, the handler's fields and the body of one response. Pooled with its
/// exchange: reset() keeps (bounded) buffer capacity, so a warm one serves without allocating.
class ResponseState final {
 public:
  /// A streamed body whose length is not known: written with chunked transfer coding.
  static constexpr std::uint64_t kUnknownLength = std::numeric_limits<std::uint64_t>::max();

  explicit ResponseState(SlabPool* body_pool);
  ~ResponseState();
  ResponseState(const ResponseState&) = delete;
  ResponseState& operator=(const ResponseState&) = delete;

  int status() const { return status_; }
  void set_status(int status) { status_ = status; }
  /// Something was put into the response (a handler that answers nothing gets an empty 200).
  bool answered() const { return answered_; }
  void mark_answered() { answered_ = true; }
  bool close_requested() const { return close_requested_; }
  void request_close() { close_requested_ = true; }

  std::string_view content_type() const { return content_type_.view(); }
  void set_content_type(std::string_view type);
  /// The handler's fields, each "Name: value\r\n".
  std::string_view extra_headers() const { return extra_headers_.view(); }
  void append_header(std::string_view name, std::string_view value);
  /// The value of the first of the handler's fields named `name` (case-insensitive), if any.
  std::optional<std::string_view> header(std::string_view name) const;
  /// Every handler field named `name`, called with each value (a list may span several lines).
  template <class F>
  void for_each_header(std::string_view name, F&& f) const {
    std::string_view rest = extra_headers();
    while (!rest.empty()) {
      const std::size_t end = rest.find("\r\n");
      const std::string_view line = rest.substr(0, end);
      const std::size_t colon = line.find(':');
      if (colon == name.size() && header_name_is(line.substr(0, colon), name)) f(line.substr(colon + 2));
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 2);
    }
  }
  /// Makes a strong ETag field weak ("W/" before it): the bytes it named are about to change
  /// (an encoding), so it must never match another representation by strong comparison.
  void weaken_etag();
  /// Whether the handler decided the response's content coding itself (a prepared answer, a
  /// precompressed file), so the engine must not encode or add Vary again.
  bool encoding_decided() const { return encoding_decided_; }
  void mark_encoding_decided() { encoding_decided_ = true; }

  BodyKind body_kind() const { return kind_; }
  ByteBuffer& body() { return body_; }
  const ByteBuffer& body() const { return body_; }
  /// The body is length bytes of fd from offset; takes ownership of fd.
  void set_file_body(int fd, std::uint64_t offset, std::uint64_t length);
  /// Hands the file over to the session that sends it (this no longer closes it).
  FileBody take_file_body();
  bool has_file_body() const { return kind_ == BodyKind::kFile; }
  std::uint64_t file_length() const { return file_.length; }
  /// The body is written piece by piece once the head is out (ExchangeOwner::write_body); length
  /// is its Content-Length, or kUnknownLength for chunked.
  void set_stream_body(std::uint64_t length);
  std::uint64_t stream_length() const { return stream_length_; }

  /// The body is a stream of unknown length from now on (it is being encoded).
  void set_stream_length_unknown() { stream_length_ = kUnknownLength; }

  /// Forgets what was put into the response (an error answer replaces it); a close request stays.
  void clear();
  /// Ready for the next request.
  void reset();

 private:
  void close_file();
  static bool header_name_is(std::string_view a, std::string_view b);

  int status_ = 200;
  bool answered_ = false;
  bool close_requested_ = false;
  bool encoding_decided_ = false;
  BodyKind kind_ = BodyKind::kBytes;
  ByteBuffer content_type_;
  ByteBuffer extra_headers_;
  ByteBuffer body_;
  FileBody file_;
  std::uint64_t stream_length_ = kUnknownLength;
};

}  // namespace surge::detail
