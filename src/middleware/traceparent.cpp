#include "middleware/traceparent.hpp"

#include <cstring>

#include "http/grammar.hpp"

namespace surge::detail {
namespace {

// The spec's HEXDIGLC: uppercase is invalid.
int lower_hex_value(char c) { return c >= 'A' && c <= 'F' ? -1 : hex_value(c); }

// Lowercase hex and, for ids, not all zeros.
bool valid_id(std::string_view digits) {
  bool nonzero = false;
  for (char c : digits) {
    if (lower_hex_value(c) < 0) return false;
    nonzero |= c != '0';
  }
  return nonzero;
}

}  // namespace

std::optional<TraceParent> parse_traceparent(std::string_view value) {
  // Offsets of version 00: vv-<32>-<16>-ff
  constexpr std::size_t kTraceAt = 3, kParentAt = kTraceAt + kTraceIdDigits + 1,
                        kFlagsAt = kParentAt + kSpanIdDigits + 1;
  if (value.size() < kTraceparentSize) return std::nullopt;
  const int v_hi = lower_hex_value(value[0]), v_lo = lower_hex_value(value[1]);
  if (v_hi < 0 || v_lo < 0 || (v_hi == 15 && v_lo == 15)) return std::nullopt;
  const bool version_00 = v_hi == 0 && v_lo == 0;
  if (version_00 ? value.size() != kTraceparentSize
                 : value.size() > kTraceparentSize && value[kTraceparentSize] != '-') {
    return std::nullopt;
  }
  if (value[2] != '-' || value[kParentAt - 1] != '-' || value[kFlagsAt - 1] != '-') {
    return std::nullopt;
  }
  TraceParent parsed{value.substr(kTraceAt, kTraceIdDigits),
                     value.substr(kParentAt, kSpanIdDigits)};
  const int f_hi = lower_hex_value(value[kFlagsAt]), f_lo = lower_hex_value(value[kFlagsAt + 1]);
  if (!valid_id(parsed.trace_id) || !valid_id(parsed.parent_id) || f_hi < 0 || f_lo < 0) {
    return std::nullopt;
  }
  parsed.flags = static_cast<std::uint8_t>(f_hi * 16 + f_lo);
  return parsed;
}

void format_traceparent(std::span<char, kTraceparentSize> out, std::string_view trace_id,
                        std::string_view span_id, std::uint8_t flags) {
  constexpr char kDigits[] = "0123456789abcdef";
  char* p = out.data();
  *p++ = '0';
  *p++ = '0';
  *p++ = '-';
  std::memcpy(p, trace_id.data(), kTraceIdDigits);
  p += kTraceIdDigits;
  *p++ = '-';
  std::memcpy(p, span_id.data(), kSpanIdDigits);
  p += kSpanIdDigits;
  *p++ = '-';
  *p++ = kDigits[flags >> 4];
  *p = kDigits[flags & 0xf];
}

}  // namespace surge::detail
