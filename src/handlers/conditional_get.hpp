#pragma once
// Conditional and range requests for one file (RFC 9110 13 and 14) as pure functions: the file's
// size and modification time and the request's field values in, a decision out. No I/O, no
// allocation, no exceptions; everything here is thread-safe.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace surge::detail {

/// A file's validators, formatted on the stack: a strong entity-tag from the size and the
/// modification time to the nanosecond, "\"<size hex>-<mtime ns hex>\"" (no inode: the same files
/// deployed to several servers carry the same tag), and Last-Modified, the mtime's second as an
/// IMF-fixdate.
class Validators final {
 public:
  /// mtime_nanoseconds: the sub-second part, below 1'000'000'000.
  Validators(std::uint64_t size, std::int64_t mtime_seconds, std::uint32_t mtime_nanoseconds);

  std::uint64_t size() const { return size_; }
  /// Seconds since the epoch: the resolution of HTTP dates.
  std::int64_t mtime() const { return mtime_; }
  std::string_view etag() const { return {etag_, etag_size_}; }
  std::string_view last_modified() const { return {last_modified_, sizeof last_modified_}; }

 private:
  std::uint64_t size_;
  std::int64_t mtime_;
  char etag_[2 + 16 + 1 + 16 + 1] = {};
  std::size_t etag_size_ = 0;
  char last_modified_[29] = {};
};

/// Whether one If-Match field line lists `etag` (a strong tag, such as Validators::etag()): "*",
/// or a member equal to it by strong comparison, so that a weak W/ member never matches (RFC 9110
/// 13.1.1, 8.8.3.2). Members are quoted strings and may contain commas; a malformed member ends
/// the scan (what matched before it counts, nothing after it does).
bool if_match_line_matches(std::string_view line, std::string_view etag);

/// As if_match_line_matches, for If-None-Match: weak comparison, so "W/" before a member is
/// ignored (RFC 9110 13.1.2).
bool if_none_match_line_matches(std::string_view line, std::string_view etag);

/// The precondition fields of a GET or HEAD. If-Match and If-None-Match are lists, which may come
/// as several field lines forming one list (RFC 9110 5.3), so they arrive evaluated: nullopt when
/// the field is absent, else whether any of its lines matches (the *_line_matches functions). The
/// dates are the value of the first field line, as received.
struct PreconditionFields {
  std::optional<bool> if_match;
  std::optional<std::string_view> if_unmodified_since;
  std::optional<bool> if_none_match;
  std::optional<std::string_view> if_modified_since;
};

enum class Precondition : std::uint8_t {
  kProceed,      // answer the request (200, 206 or 416)
  kNotModified,  // 304
  kFailed,       // 412
};

/// RFC 9110 13.2.2, steps 1-4, for a file last modified at `mtime` (seconds since the epoch), in
/// this order: kFailed when If-Match matches nothing or, If-Match absent, If-Unmodified-Since is
/// a date before mtime; then kNotModified when If-None-Match matches or, If-None-Match absent,
/// If-Modified-Since is a date at or after mtime; else kProceed. An unparsable date is ignored
/// (13.1.3, 13.1.4).
Precondition evaluate_preconditions(const PreconditionFields& fields, std::int64_t mtime);

enum class RangeKind : std::uint8_t {
  kWhole,          // no (usable) range: send the whole file, 200
  kPart,           // bytes first..last, 206
  kUnsatisfiable,  // 416
};

/// What a Range field asks of a file. first and last are inclusive byte offsets, meaningful for
/// kPart only (then first <= last < size).
struct RangeAnswer {
  RangeKind kind = RangeKind::kWhole;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};

/// A Range field value against a file of `size` bytes (RFC 9110 14.1, 14.2). The unit "bytes" is
/// case-insensitive; empty list members are skipped. Exactly one range-spec is honoured: "a-b"
/// (last clipped to the file), "a-" and "-n" (the last n bytes, clipped); numbers saturate rather
/// than overflow. kUnsatisfiable when first >= size (so any "a-" or "a-b" on an empty file) or for
/// "-0". kWhole for anything else: another unit, several ranges (no multipart/byteranges, the
/// classic amplification vector, CVE-2011-3192), syntax errors (an invalid Range is ignored), and
/// a non-zero suffix on an empty file (satisfiable, but Content-Range cannot spell an empty part).
RangeAnswer evaluate_range(std::string_view value, std::uint64_t size);

/// Range and If-Range together (RFC 9110 14.2, 13.1.5), for a GET only (HEAD ignores Range): no
/// Range is kWhole; If-Range, when present, must hold for the Range to apply, else kWhole. It
/// holds for an entity-tag equal to file.etag() by strong comparison, or a date that is exactly
/// the Last-Modified second; a weak tag or anything else does not, and the whole file is sent,
/// which is always a correct answer.
RangeAnswer select_range(std::optional<std::string_view> range,
                         std::optional<std::string_view> if_range, const Validators& file);

/// The Content-Range value of a kPart answer, "bytes first-last/size", or of a kUnsatisfiable
/// one, "bytes */size" (RFC 9110 14.4), formatted on the stack.
class ContentRange final {
 public:
  ContentRange(const RangeAnswer& range, std::uint64_t size);
  std::string_view value() const { return {text_, size_}; }

 private:
  char text_[6 + 20 + 1 + 20 + 1 + 20] = {};
  std::size_t size_ = 0;
};

}  // namespace surge::detail
