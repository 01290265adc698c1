#include "router/percent.hpp"

namespace surge::detail {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// The character escaped at raw[i] ('%'), or -1 when the escape is malformed.
int escaped_at(std::string_view raw, std::size_t i) {
  if (i + 2 >= raw.size()) return -1;
  const int hi = hex_value(raw[i + 1]);
  const int lo = hex_value(raw[i + 2]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

}  // namespace

long percent_decode(std::string_view raw, char* out) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      out[n++] = raw[i];
      continue;
    }
    const int c = escaped_at(raw, i);
    if (c < 0) return -1;
    out[n++] = static_cast<char>(c);
    i += 2;
  }
  return static_cast<long>(n);
}

bool has_encoded_unreserved(std::string_view raw) {
  for (std::size_t i = raw.find('%'); i != std::string_view::npos; i = raw.find('%', i + 1)) {
    if (is_unreserved(escaped_at(raw, i))) return true;
  }
  return false;
}

std::size_t decode_unreserved(std::string_view raw, char* out) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const int c = raw[i] == '%' ? escaped_at(raw, i) : -1;
    if (is_unreserved(c)) {
      out[n++] = static_cast<char>(c);
      i += 2;
    } else {
      out[n++] = raw[i];
    }
  }
  return n;
}

}  // namespace surge::detail
