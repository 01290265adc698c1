#pragma once
// TraceParent: the W3C Trace Context `traceparent` header, parsed and formatted.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace surge::detail {

inline constexpr std::size_t kTraceIdDigits = 32;
inline constexpr std::size_t kSpanIdDigits = 16;
/// "00-" + trace-id + "-" + parent-id + "-" + flags.
inline constexpr std::size_t kTraceparentSize = 55;

/// The fields of a valid traceparent, viewing the parsed text (valid as long as it is).
struct TraceParent {
  std::string_view trace_id;   // 32 lowercase hex digits, not all zeros
  std::string_view parent_id;  // 16 lowercase hex digits, not all zeros
  std::uint8_t flags = 0;      // trace-flags (bit 0: sampled), kept as received
};

/// Parses a traceparent value per W3C Trace Context: version, trace-id, parent-id and flags are
/// lowercase hex; version ff and all-zero ids are invalid. Version 00 is exactly 55 characters.
/// A higher version may be longer: its first four fields are read as version 00's, and what
/// follows them must start with '-' (the spec's forward-compatibility rule). nullopt if invalid.
std::optional<TraceParent> parse_traceparent(std::string_view value);

/// Writes the version-00 traceparent "00-<trace_id>-<span_id>-<flags>" to out. trace_id and
/// span_id must be 32 and 16 lowercase hex digits.
void format_traceparent(std::span<char, kTraceparentSize> out, std::string_view trace_id,
                        std::string_view span_id, std::uint8_t flags);

}  // namespace surge::detail
