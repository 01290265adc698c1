#include "handlers/body_template.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace surge::detail {
namespace {

bool is_identifier(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  // 0xF5..0xFF start no sequence (they would encode beyond U+10FFFF): not 3-byte leads.
  std::size_t n = c >= 0xF5 ? 0 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  // Overlong 3-byte forms, surrogates, and code points above U+10FFFF.
  if (n == 3 && ((c == 0xE0 && byte(i + 1) < 0xA0) || (c == 0xED && byte(i + 1) >= 0xA0))) return 0;
  if (n == 4 && ((c == 0xF0 && byte(i + 1) < 0x90) || (c == 0xF4 && byte(i + 1) >= 0x90))) return 0;
  return n;
}

}  // namespace

BodyTemplate::BodyTemplate(std::string_view text, const std::vector<std::string>& params,
                           Escape escape)
    : params_(params), escape_(escape) {
  auto literal = [&](std::string_view piece) {
    if (piece.empty()) return;
    if (!segments_.empty() && segments_.back().param < 0) {
      segments_.back().size += static_cast<std::uint32_t>(piece.size());
    } else {
      segments_.push_back({static_cast<std::uint32_t>(text_.size()),
                           static_cast<std::uint32_t>(piece.size()), -1});
    }
    text_ += piece;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    auto special = text.find_first_of("{}", i);
    if (special == std::string_view::npos) {
      literal(text.substr(i));
      break;
    }
    literal(text.substr(i, special - i));
    // In text, "{{" and "}}" stand for one brace, as in Python's and Rust's format strings. Not
    // in JSON: its own structure is made of braces ("}}" closes nested objects).
    if (escape_ == Escape::kNone && special + 1 < text.size() && text[special + 1] == text[special]) {
      literal(text.substr(special, 1));
      i = special + 2;
      continue;
    }
    if (text[special] == '}') {
      literal("}");
      i = special + 1;
      continue;
    }
    auto close = text.find('}', special);
    std::string_view name = close == std::string_view::npos
                                ? std::string_view{}
                                : text.substr(special + 1, close - special - 1);
    if (!is_identifier(name)) {
      literal("{");
      i = special + 1;
      continue;
    }
    auto found = std::find(params_.begin(), params_.end(), name);
    if (found == params_.end()) {
      throw std::invalid_argument("{" + std::string(name) + "} is not a parameter of the route");
    }
    segments_.push_back({0, 0, static_cast<int>(found - params_.begin())});
    i = close + 1;
  }
}

void BodyTemplate::render(Context& ctx) const {
  Response& response = ctx.response();
  for (const Segment& segment : segments_) {
    if (segment.param < 0) {
      response.append_body(std::string_view(text_).substr(segment.begin, segment.size));
      continue;
    }
    std::string_view value = ctx.param(params_[static_cast<std::size_t>(segment.param)]);
    if (escape_ == Escape::kJson) {
      append_json_escaped(response, value);
    } else {
      response.append_body(value);
    }
  }
}

void append_json_escaped(Response& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t plain = 0;  // start of the run of bytes that need no escaping
  auto flush = [&](std::size_t end) {
    if (end > plain) out.append_body(value.substr(plain, end - plain));
  };
  for (std::size_t i = 0; i < value.size();) {
    auto c = static_cast<unsigned char>(value[i]);
    if (c >= 0x80) {
      std::size_t n = utf8_sequence(value, i);
      if (n != 0) {
        i += n;
        continue;
      }
      flush(i);
      out.append_body("\\ufffd");
      plain = ++i;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    flush(i);
    switch (c) {
      case '"': out.append_body("\\\""); break;
      case '\\': out.append_body("\\\\"); break;
      case '\n': out.append_body("\\n"); break;
      case '\r': out.append_body("\\r"); break;
      case '\t': out.append_body("\\t"); break;
      default: {
        const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out.append_body(std::string_view(escaped, 6));
      }
    }
    plain = ++i;
  }
  flush(value.size());
}

}  // namespace surge::detail
