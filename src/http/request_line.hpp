#pragma once
// RequestLineCheck: the request line (RFC 9112 3) checked as it arrives, before Beast parses it.

#include <cstddef>
#include <cstdint>

#include "http/request_error.hpp"

namespace surge::detail {

/// The longest method token accepted, in bytes: the longest registered method
/// (UPDATEREDIRECTREF, 17) fits with room to spare. A longer first token is refused with 501 as
/// soon as its next byte arrives (it is garbage, or no method anyone implements) rather than
/// read up to the request-line limit.
inline constexpr std::size_t kMaxMethodToken = 32;

/// Decides on a request line byte by byte as it arrives, so a line that can no longer become
/// valid is refused at once instead of waiting for its end (or the header timeout): `GET / \r\n`,
/// a second space, a control character in the target, a version that is not `HTTP/d.d`. Beast
/// only sees the line once it is complete and valid, which also keeps it from judging a version
/// whose line is not complete yet (it takes a partial `HTTP/1.2` for version 12 and refuses it).
///
/// Resumes where it stopped: a line trickled in a byte at a time costs one pass in all.
class RequestLineCheck final {
 public:
  /// Looks at the line's bytes [0, available) (line: the first byte of the request line).
  /// Returns an error as soon as the line is bad; otherwise sets `complete` once the whole line
  /// (with its CRLF) is there and valid. A minor version above 1 is rewritten to 1 in place
  /// (RFC 9110 2.5: served as HTTP/1.1). max_length bounds the line without its CRLF (414).
  RequestError feed(char* line, std::size_t available, std::size_t max_length, bool& complete);

 private:
  enum class Part : std::uint8_t { kMethod, kTarget, kVersion, kLineFeed };

  RequestError finish(char* line);

  Part part_ = Part::kMethod;
  std::size_t scanned_ = 0;        // bytes of the line already judged
  std::size_t part_start_ = 0;     // where the current part began
};

}  // namespace surge::detail
