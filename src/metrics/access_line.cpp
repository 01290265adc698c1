#include "metrics/access_line.hpp"

#include <algorithm>
#include <cstring>

namespace surge::detail {
namespace {

using Buffer = fmt::memory_buffer;

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view kCut = "...";
// The client is inet_ntop's text and the refusal kinds are our own snake_case labels: these
// bounds only keep AccessLine::kMaxLineBytes honest.
constexpr std::size_t kMaxClientBytes = 64;
constexpr std::size_t kMaxErrorBytes = 64;

void append(Buffer& out, std::string_view text) {
  out.append(text.data(), text.data() + text.size());
}

template <class Integer>
void append_number(Buffer& out, Integer value) {
  const fmt::format_int digits(value);
  out.append(digits.data(), digits.data() + digits.size());
}

void put_digits(char* out, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// Seconds with microseconds ("0.000123"), in integers: no floating-point rounding surprises.
void append_duration(Buffer& out, std::chrono::nanoseconds duration) {
  const auto us = static_cast<std::uint64_t>(std::max<std::int64_t>(duration.count(), 0) / 1000);
  append_number(out, us / 1'000'000);
  char fraction[7] = {'.'};
  put_digits(fraction + 1, static_cast<unsigned>(us % 1'000'000), 6);
  out.append(fraction, fraction + sizeof(fraction));
}

// Keeps at most max bytes. When the first byte left out continues a UTF-8 sequence, the whole
// sequence is left out, so a cut never manufactures invalid UTF-8 (at most 3 steps back).
std::string_view cut(std::string_view text, std::size_t max, bool& truncated) {
  truncated = text.size() > max;
  if (!truncated) return text;
  const auto continuation = [&](std::size_t i) {
    return (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80;
  };
  std::size_t n = max;
  for (int back = 0; back < 3 && n > 0 && continuation(n); ++back)
    --n;
  return text.substr(0, n);
}

// Length (2..4) of the well-formed UTF-8 sequence starting at p[0] >= 0x80 (Unicode 15, table
// 3-7), or 0; then `bad` is the length of its maximal ill-formed subpart, replaced by one U+FFFD.
std::size_t utf8_sequence(const unsigned char* p, std::size_t n, std::size_t& bad) {
  const unsigned char lead = p[0];
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // beyond U+10FFFF
  } else {
    bad = 1;  // a continuation byte, C0, C1 or F5..FF
    return 0;
  }
  std::size_t i = 1;
  for (; i < length && i < n; ++i) {
    if (p[i] < (i == 1 ? low : 0x80) || p[i] > (i == 1 ? high : 0xBF)) break;
  }
  if (i == length) return length;
  bad = i;
  return 0;
}

// RFC 8259's two-character escapes; other control characters, and DEL (which JSON allows raw
// but a terminal does not), become \u00XX.
void append_json_escape(Buffer& out, unsigned char c) {
  static constexpr char kShort[][2] = {{'"', '"'},  {'\\', '\\'}, {'\b', 'b'}, {'\f', 'f'},
                                       {'\n', 'n'}, {'\r', 'r'},  {'\t', 't'}};
  for (const auto& [raw, letter] : kShort) {
    if (c == static_cast<unsigned char>(raw)) {
      const char escaped[2] = {'\\', letter};
      out.append(escaped, escaped + sizeof(escaped));
      return;
    }
  }
  static constexpr char kHex[] = "0123456789abcdef";
  const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
  out.append(escaped, escaped + sizeof(escaped));
}

void append_ncsa(Buffer& out, std::string_view text, std::size_t max_bytes, bool escape_space) {
  bool truncated = false;
  text = cut(text, max_bytes, truncated);
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\' && !(escape_space && c == ' ')) continue;
    out.append(text.data() + run, text.data() + i);
    static constexpr char kHex[] = "0123456789ABCDEF";
    const char escaped[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 0xF]};
    out.append(escaped, escaped + sizeof(escaped));
    run = i + 1;
  }
  out.append(text.data() + run, text.data() + text.size());
  if (truncated) append(out, kCut);
}

void append_ncsa_field(Buffer& out, std::string_view text, std::size_t max_bytes) {
  if (text.empty()) {
    append(out, "-");
  } else {
    append_ncsa_escaped(out, text, max_bytes);
  }
}

// "key":"value" or "key":null; key is a literal that needs no escaping.
void append_json_field(Buffer& out, std::string_view key, std::string_view value,
                       std::size_t max_bytes) {
  append(out, ",\"");
  append(out, key);
  if (value.empty()) {
    append(out, "\":null");
    return;
  }
  append(out, "\":\"");
  append_json_string(out, value, max_bytes);
  append(out, "\"");
}

void append_json_number(Buffer& out, std::string_view key, std::uint64_t value) {
  append(out, ",\"");
  append(out, key);
  append(out, "\":");
  append_number(out, value);
}

}  // namespace

void append_json_string(Buffer& out, std::string_view text, std::size_t max_bytes) {
  bool truncated = false;
  text = cut(text, max_bytes, truncated);
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t run = 0;  // start of the bytes not yet appended, all of them verbatim
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    std::size_t bad = 0;
    if (c >= 0x80) {
      if (const std::size_t length = utf8_sequence(p + i, n - i, bad); length != 0) {
        i += length;
        continue;
      }
    }
    out.append(text.data() + run, text.data() + i);
    if (c >= 0x80) {
      append(out, kReplacement);
      i += bad;
    } else {
      append_json_escape(out, c);
      ++i;
    }
    run = i;
  }
  out.append(text.data() + run, text.data() + n);
  if (truncated) append(out, kCut);
}

void append_ncsa_escaped(Buffer& out, std::string_view text, std::size_t max_bytes) {
  append_ncsa(out, text, max_bytes, false);
}

AccessLine::AccessLine() {
  buffer_.reserve(kMaxLineBytes);
}

void AccessLine::set_time(std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  const auto second = floor<seconds>(now);
  if (second.time_since_epoch().count() == second_) return;
  second_ = second.time_since_epoch().count();
  // Calendar arithmetic, not gmtime_r: glibc's takes a process-wide lock.
  const auto day = floor<days>(second);
  const year_month_day date{day};
  const hh_mm_ss<seconds> time{second - day};
  const auto year = static_cast<unsigned>(static_cast<int>(date.year()));
  const auto month = static_cast<unsigned>(date.month());
  const auto mday = static_cast<unsigned>(date.day());
  const auto hour = static_cast<unsigned>(time.hours().count());
  const auto minute = static_cast<unsigned>(time.minutes().count());
  const auto sec = static_cast<unsigned>(time.seconds().count());

  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // Years 0..9999: the arrays hold exactly these layouts.
  fmt::format_to_n(ncsa_time_, sizeof(ncsa_time_), "{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000", mday,
                   kMonths[month - 1], year, hour, minute, sec);
  fmt::format_to_n(rfc3339_time_, sizeof(rfc3339_time_), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                   year, month, mday, hour, minute, sec);
}

std::string_view AccessLine::combined(const AccessRecord& record,
                                      std::chrono::system_clock::time_point now) {
  set_time(now);
  Buffer& out = buffer_;
  out.clear();
  append_ncsa_field(out, record.client, kMaxClientBytes);
  append(out, " - - [");
  out.append(ncsa_time_, ncsa_time_ + sizeof(ncsa_time_));
  append(out, "] \"");
  if (record.method.empty()) {
    append(out, "-");
  } else {
    append_ncsa_escaped(out, record.method, kMaxMethodBytes);
    append(out, " ");
    append_ncsa_escaped(out, record.target, kMaxTargetBytes);
    append(out, record.version == 10 ? " HTTP/1.0" : " HTTP/1.1");
  }
  append(out, "\" ");
  append_number(out, record.status);
  append(out, " ");
  append_number(out, record.response_bytes);
  append(out, " \"");
  append_ncsa_field(out, record.referer, kMaxRefererBytes);
  append(out, "\" \"");
  append_ncsa_field(out, record.user_agent, kMaxUserAgentBytes);
  append(out, "\" ");
  append_duration(out, record.duration);
  append(out, " ");
  // Unquoted, so a space would add a field: it is escaped too.
  if (record.request_id.empty()) {
    append(out, "-");
  } else {
    append_ncsa(out, record.request_id, kMaxRequestIdBytes, true);
  }
  if (!record.upstream.empty()) {
    append(out, " ");
    append_ncsa(out, record.upstream, kMaxUpstreamBytes, true);
    append(out, " ");
    if (record.upstream_status == 0) {
      append(out, "-");
    } else {
      append_number(out, record.upstream_status);
    }
    append(out, " ");
    append_duration(out, record.upstream_duration);
  }
  return {out.data(), out.size()};
}

std::string_view AccessLine::json(const AccessRecord& record,
                                  std::chrono::system_clock::time_point now) {
  set_time(now);
  Buffer& out = buffer_;
  out.clear();
  append(out, "{\"time\":\"");
  out.append(rfc3339_time_, rfc3339_time_ + sizeof(rfc3339_time_));
  const auto ms =
      std::chrono::floor<std::chrono::milliseconds>(now).time_since_epoch().count() % 1000;
  char fraction[6] = {'.', '0', '0', '0', 'Z', '"'};
  put_digits(fraction + 1, static_cast<unsigned>(ms < 0 ? ms + 1000 : ms), 3);
  out.append(fraction, fraction + sizeof(fraction));
  append_json_field(out, "client", record.client, kMaxClientBytes);
  append_json_field(out, "method", record.method, kMaxMethodBytes);
  append_json_field(out, "target", record.method.empty() ? std::string_view() : record.target,
                    kMaxTargetBytes);
  append_json_field(out, "version",
                    record.method.empty()  ? std::string_view()
                    : record.version == 10 ? std::string_view("HTTP/1.0")
                                           : std::string_view("HTTP/1.1"),
                    8);
  append(out, ",\"status\":");
  append_number(out, record.status);
  append_json_number(out, "bytes", record.response_bytes);
  append_json_number(out, "request_bytes", record.request_bytes);
  append(out, ",\"duration_s\":");
  append_duration(out, record.duration);
  append_json_field(out, "request_id", record.request_id, kMaxRequestIdBytes);
  append_json_field(out, "route", record.route, kMaxRouteBytes);
  append_json_field(out, "user_agent", record.user_agent, kMaxUserAgentBytes);
  append_json_field(out, "referer", record.referer, kMaxRefererBytes);
  append_json_field(out, "error", record.error, kMaxErrorBytes);
  append_json_field(out, "upstream", record.upstream, kMaxUpstreamBytes);
  if (record.upstream.empty() || record.upstream_status == 0) {
    append(out, ",\"upstream_status\":null");
  } else {
    append(out, ",\"upstream_status\":");
    append_number(out, record.upstream_status);
  }
  if (record.upstream.empty()) {
    append(out, ",\"upstream_duration_s\":null");
  } else {
    append(out, ",\"upstream_duration_s\":");
    append_duration(out, record.upstream_duration);
  }
  append(out, "}");
  return {out.data(), out.size()};
}

}  // namespace surge::detail
