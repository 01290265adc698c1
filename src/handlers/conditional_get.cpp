#include "handlers/conditional_get.hpp"

#include <strings.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "handlers/http_date.hpp"
#include "http/date_cache.hpp"
#include "http/grammar.hpp"

namespace surge::detail {
namespace {

enum class Comparison : std::uint8_t { kStrong, kWeak };

// RFC 9110 8.8.3.2: weak comparison ignores W/, strong comparison fails for weak tags. Tags may
// contain commas, so members are read as quoted strings, not split at commas.
bool etag_list_matches(std::string_view list, std::string_view etag, Comparison comparison) {
  std::size_t i = 0;
  while (i < list.size()) {
    const char c = list[i];
    if (c == ' ' || c == '\t' || c == ',') {
      ++i;
      continue;
    }
    if (c == '*') return true;
    const bool weak = list.substr(i, 2) == "W/";
    if (weak) i += 2;
    if (i >= list.size() || list[i] != '"') return false;
    const std::size_t close = list.find('"', i + 1);
    if (close == std::string_view::npos) return false;
    if (list.substr(i, close + 1 - i) == etag && !(weak && comparison == Comparison::kStrong)) {
      return true;
    }
    i = close + 1;
  }
  return false;
}

// A byte position: 1*DIGIT, saturating (a position past any file is simply past this one).
bool parse_position(std::string_view text, std::uint64_t& out) {
  if (text.empty()) return false;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
    value = value > (kMax - digit) / 10 ? kMax : value * 10 + digit;
  }
  out = value;
  return true;
}

// One range-spec against a file of `size` bytes (RFC 9110 14.1.1, 14.1.2). Syntactically invalid
// (no '-', non-digits, last < first) -> kWhole: an invalid Range is ignored (14.2).
RangeAnswer evaluate_range_spec(std::string_view spec, std::uint64_t size) {
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return {};
  const std::string_view first_text = spec.substr(0, dash);
  const std::string_view last_text = spec.substr(dash + 1);
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  if (first_text.empty()) {
    if (!parse_position(last_text, last)) return {};
    if (last == 0) return {RangeKind::kUnsatisfiable};
    // A non-zero suffix is satisfiable even against an empty file (14.1.2), but Content-Range
    // cannot spell an empty part: send the (empty) whole, as 14.2 allows.
    if (size == 0) return {};
    return {RangeKind::kPart, size - std::min(last, size), size - 1};
  }
  if (!parse_position(first_text, first)) return {};
  if (last_text.empty()) {
    last = std::numeric_limits<std::uint64_t>::max();
  } else if (!parse_position(last_text, last) || last < first) {
    return {};
  }
  if (first >= size) return {RangeKind::kUnsatisfiable};  // 15.5.17; includes any on an empty file
  return {RangeKind::kPart, first, std::min(last, size - 1)};
}

// RFC 9110 13.1.5: a date matches only when it is exactly the Last-Modified second.
bool if_range_holds(std::string_view value, const Validators& file) {
  if (!value.empty() && value.front() == '"') return value == file.etag();
  auto date = parse_http_date(value);
  return date && *date == file.mtime();
}

}  // namespace

Validators::Validators(std::uint64_t size, std::int64_t mtime_seconds,
                       std::uint32_t mtime_nanoseconds)
    : size_(size), mtime_(mtime_seconds) {
  // nginx's tag, size and mtime, but to the nanosecond where nginx has only seconds: two writes
  // within one second still get two tags.
  const auto mtime_ns = static_cast<std::uint64_t>(mtime_seconds) * 1'000'000'000u +
                        static_cast<std::uint64_t>(mtime_nanoseconds);
  char* p = etag_;
  *p++ = '"';
  p = std::to_chars(p, etag_ + sizeof etag_, size_, 16).ptr;
  *p++ = '-';
  p = std::to_chars(p, etag_ + sizeof etag_, mtime_ns, 16).ptr;
  *p++ = '"';
  etag_size_ = static_cast<std::size_t>(p - etag_);
  format_http_date(mtime_, last_modified_);
}

bool if_match_line_matches(std::string_view line, std::string_view etag) {
  return etag_list_matches(line, etag, Comparison::kStrong);
}

bool if_none_match_line_matches(std::string_view line, std::string_view etag) {
  return etag_list_matches(line, etag, Comparison::kWeak);
}

Precondition evaluate_preconditions(const PreconditionFields& fields, std::int64_t mtime) {
  if (fields.if_match) {
    if (!*fields.if_match) return Precondition::kFailed;
  } else if (fields.if_unmodified_since) {
    auto date = parse_http_date(*fields.if_unmodified_since);
    if (date && mtime > *date) return Precondition::kFailed;
  }
  if (fields.if_none_match) {
    if (*fields.if_none_match) return Precondition::kNotModified;
  } else if (fields.if_modified_since) {
    auto date = parse_http_date(*fields.if_modified_since);
    if (date && mtime <= *date) return Precondition::kNotModified;
  }
  return Precondition::kProceed;
}

RangeAnswer evaluate_range(std::string_view value, std::uint64_t size) {
  constexpr std::string_view kUnit = "bytes=";
  if (value.size() < kUnit.size() || ::strncasecmp(value.data(), kUnit.data(), kUnit.size()) != 0) {
    return {};
  }
  value.remove_prefix(kUnit.size());
  std::string_view spec;
  int count = 0;
  while (true) {
    const std::size_t comma = value.find(',');
    const std::string_view member = trim_ows(value.substr(0, comma));
    if (!member.empty()) {
      spec = member;
      ++count;
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return count == 1 ? evaluate_range_spec(spec, size) : RangeAnswer{};
}

RangeAnswer select_range(std::optional<std::string_view> range,
                         std::optional<std::string_view> if_range, const Validators& file) {
  if (!range || (if_range && !if_range_holds(*if_range, file))) return {};
  return evaluate_range(*range, file.size());
}

ContentRange::ContentRange(const RangeAnswer& range, std::uint64_t size) {
  char* const end = text_ + sizeof text_;
  constexpr std::string_view kUnit = "bytes ";
  char* p = std::copy(kUnit.begin(), kUnit.end(), text_);
  if (range.kind == RangeKind::kPart) {
    p = std::to_chars(p, end, range.first).ptr;
    *p++ = '-';
    p = std::to_chars(p, end, range.last).ptr;
  } else {
    *p++ = '*';
  }
  *p++ = '/';
  p = std::to_chars(p, end, size).ptr;
  size_ = static_cast<std::size_t>(p - text_);
}

}  // namespace surge::detail
