#pragma once
// AccessLine: one access log line (NCSA combined or JSON), formatted into a reusable buffer.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <fmt/format.h>

namespace surge::detail {

/// What one line says about one request. Views are borrowed for the duration of the format
/// call. An empty string means "absent" (a header the client did not send, a request line the
/// engine refused before it was parsed): "-" in combined lines, null in JSON lines.
struct AccessRecord {
  std::string_view client;  // the TCP peer's address, textual ("192.0.2.1", "2001:db8::1")
  std::string_view method;  // as sent; empty when the request line was not parsed
  std::string_view target;  // the request-target as sent
  int version = 11;         // 10 or 11; ignored when method is empty
  int status = 0;
  std::uint64_t response_bytes = 0;      // the whole response: status line, header fields, body
  std::uint64_t request_bytes = 0;       // the whole request: request line, header section, body
  std::chrono::nanoseconds duration{0};  // first request byte parsed -> response queued
  std::string_view request_id;
  std::string_view route;  // the route pattern that matched
  std::string_view user_agent;
  std::string_view referer;
  std::string_view error;  // why the engine refused the request (a metric `kind`), or empty
  // A proxied request's upstream: its address (empty: not proxied), status (0: none came) and
  // the time to its response head (or to the failure).
  std::string_view upstream;
  int upstream_status = 0;
  std::chrono::nanoseconds upstream_duration{0};
};

/// Longest part of each field that is logged, in bytes of the original text; a longer field is
/// cut there (never inside a UTF-8 sequence) and ends in "...". Together they bound a line (see
/// AccessLine::kMaxLineBytes), so a queue of lines has a bounded size whatever clients send.
inline constexpr std::size_t kMaxTargetBytes = 2048;
inline constexpr std::size_t kMaxRefererBytes = 1024;
inline constexpr std::size_t kMaxUserAgentBytes = 512;
inline constexpr std::size_t kMaxRequestIdBytes = 128;
inline constexpr std::size_t kMaxRouteBytes = 256;
inline constexpr std::size_t kMaxMethodBytes = 32;
inline constexpr std::size_t kMaxUpstreamBytes = 256;

/// Formats lines for one worker: single-threaded, one per worker. The buffer is reserved for the
/// longest possible line when constructed, so formatting never allocates afterwards. The views
/// returned stay valid until the next call. Times are UTC.
///
/// combined (NCSA combined, then two fields of ours; one line, wrapped here):
///   192.0.2.1 - - [10/Oct/2000:13:55:36 +0000] "GET /a HTTP/1.1" 200 2326 "referer"
///   "user-agent" 0.000123 request-id
/// and, for a proxied request only, three more: the upstream host, its status ("-" when it gave
/// none) and the seconds to its response head (nginx's $upstream_addr $upstream_status
/// $upstream_header_time): ... request-id 10.0.0.7:9001 200 0.000098
/// - bytes: the whole response as sent, header included (nginx's $bytes_sent, not %b);
/// - the request line is "-" (with its quotes) when it was not parsed;
/// - the duration is in seconds with 6 decimals; an absent referer, user agent or request id
///   is "-";
/// - as nginx does, `"`, `\`, bytes below 0x20 and from 0x7F are written as \xHH: a line is
///   always one line and its quoted fields are unambiguous.
///
/// json (one object per line, keys always present and in this order):
///   {"time":"2000-10-10T13:55:36.123Z","client":"192.0.2.1","method":"GET","target":"/a",
///    "version":"HTTP/1.1","status":200,"bytes":2326,"request_bytes":78,"duration_s":0.000123,
///    "request_id":"abc","route":"/a","user_agent":"curl/8.0","referer":null,"error":null,
///    "upstream":null,"upstream_status":null,"upstream_duration_s":null}
/// - absent strings are null; "error" is the refusal kind ("bad_header_value") or null;
/// - strings are escaped per RFC 8259 (control characters and DEL as \u00XX); invalid UTF-8 is
///   replaced by U+FFFD, one per maximal ill-formed subsequence (Unicode 15, 3.9).
class AccessLine final {
 public:
  AccessLine();

  std::string_view combined(const AccessRecord& record, std::chrono::system_clock::time_point now);
  std::string_view json(const AccessRecord& record, std::chrono::system_clock::time_point now);

  /// Longest line either format can produce: the fixed parts, every field at its limit with each
  /// byte escaped as \u00XX, and a "..." per field.
  static constexpr std::size_t kMaxLineBytes =
      640 +
      6 * (kMaxTargetBytes + kMaxRefererBytes + kMaxUserAgentBytes + kMaxRequestIdBytes +
           kMaxRouteBytes + kMaxMethodBytes + kMaxUpstreamBytes) +
      7 * 3;

 private:
  void set_time(std::chrono::system_clock::time_point now);

  fmt::memory_buffer buffer_;
  std::int64_t second_ = INT64_MIN;
  char ncsa_time_[26] = {};     // "10/Oct/2000:13:55:36 +0000"
  char rfc3339_time_[19] = {};  // "2000-10-10T13:55:36" (the milliseconds are added per line)
};

/// Appends text as the inside of a JSON string (no quotes), escaped, invalid UTF-8 replaced, cut
/// after max_bytes of input (then "..." is appended).
void append_json_string(fmt::memory_buffer& out, std::string_view text, std::size_t max_bytes);

/// Appends text with nginx's log escaping (`"`, `\`, < 0x20 and >= 0x7F as \xHH), cut after
/// max_bytes of input (then "..." is appended).
void append_ncsa_escaped(fmt::memory_buffer& out, std::string_view text, std::size_t max_bytes);

}  // namespace surge::detail
