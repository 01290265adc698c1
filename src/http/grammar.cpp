#include "http/grammar.hpp"

namespace surge::detail {

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
