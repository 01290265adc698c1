#include "encoding/accept_encoding.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>

#include "http/grammar.hpp"

namespace surge::detail {
namespace {

// A field value is read with an index into it: nothing is copied, nothing allocated.

constexpr int kInvalid = -2;

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

void skip_ows(std::string_view s, std::size_t& i) {
  while (i < s.size() && is_ows(s[i]))
    ++i;
}

std::string_view take_token(std::string_view s, std::size_t& i) {
  const std::size_t start = i;
  while (i < s.size() && is_tchar(s[i]))
    ++i;
  return s.substr(start, i - start);
}

// At an opening quote; false when the string never closes (i is then at the end).
bool skip_quoted(std::string_view s, std::size_t& i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      ++i;
      return true;
    }
  }
  i = s.size();
  return false;
}

// To the comma that ends the current member, so one bad member never hides the next; a comma
// inside a quoted parameter value does not end it.
void skip_to_comma(std::string_view s, std::size_t& i) {
  while (i < s.size() && s[i] != ',') {
    if (s[i] == '"') {
      skip_quoted(s, i);
    } else {
      ++i;
    }
  }
}

// RFC 9110 12.4.2: "0" [ "." 0*3DIGIT ] / "1" [ "." 0*3("0") ], in thousandths.
int parse_qvalue(std::string_view v) {
  if (v.empty() || v.size() > 5 || (v.size() > 1 && v[1] != '.')) return kInvalid;
  if (v[0] == '1') {
    for (std::size_t i = 2; i < v.size(); ++i) {
      if (v[i] != '0') return kInvalid;
    }
    return 1000;
  }
  if (v[0] != '0') return kInvalid;
  int q = 0;
  int scale = 100;
  for (std::size_t i = 2; i < v.size(); ++i, scale /= 10) {
    if (v[i] < '0' || v[i] > '9') return kInvalid;
    q += (v[i] - '0') * scale;
  }
  return q;
}

struct Member {
  std::string_view coding;
  int q = 1000;
};

// One member: coding *( OWS ";" OWS [ name [ OWS "=" OWS value ] ] ). Lenient where RFC 9110 is
// strict but the meaning is plain (OWS around "=", "Q=", empty parameters); nullopt when the
// member cannot be read or its qvalue is not one (the caller skips to the next comma).
std::optional<Member> parse_member(std::string_view s, std::size_t& i) {
  Member m;
  m.coding = take_token(s, i);
  if (m.coding.empty()) return std::nullopt;
  skip_ows(s, i);
  while (i < s.size() && s[i] == ';') {
    ++i;
    skip_ows(s, i);
    const std::string_view name = take_token(s, i);
    skip_ows(s, i);
    std::string_view value;
    bool quoted = false;
    if (i < s.size() && s[i] == '=') {
      if (name.empty()) return std::nullopt;
      ++i;
      skip_ows(s, i);
      const std::size_t start = i;
      if (i < s.size() && s[i] == '"') {
        if (!skip_quoted(s, i)) return std::nullopt;
        quoted = true;
      } else {
        take_token(s, i);
      }
      value = s.substr(start, i - start);
      skip_ows(s, i);
    }
    if (name == "q" || name == "Q") {
      m.q = quoted ? kInvalid : parse_qvalue(value);
      if (m.q == kInvalid) return std::nullopt;
    }
  }
  if (i < s.size() && s[i] != ',') return std::nullopt;
  return m;
}

}  // namespace

void AcceptEncoding::add_line(std::string_view value) {
  present_ = true;
  std::size_t i = 0;
  while (i < value.size()) {
    if (value[i] == ',' || is_ows(value[i])) {
      ++i;
      continue;
    }
    const std::optional<Member> m = parse_member(value, i);
    skip_to_comma(value, i);
    if (!m) continue;
    // A coding named twice keeps its best qvalue: the client plainly can decode it.
    if (m->coding == "*") {
      star_ = std::max(star_, m->q);
    } else if (const std::optional<ContentCoding> coding = coding_from_name(m->coding)) {
      int& q = q_[static_cast<std::size_t>(*coding)];
      q = std::max(q, m->q);
    }
  }
}

ContentCoding AcceptEncoding::choose(const CodingOffer& offer) const {
  ContentCoding best = ContentCoding::kIdentity;
  if (!present_) return best;
  // Strictly greater, in the offer's order: a tie goes to the server's earlier preference, and a
  // qvalue of 0 never wins.
  int best_q = 0;
  const std::size_t count = std::min<std::size_t>(offer.count, offer.order.size());
  for (std::size_t i = 0; i < count; ++i) {
    const ContentCoding coding = offer.order[i];
    const auto index = static_cast<std::size_t>(coding);
    if (coding == ContentCoding::kIdentity || index >= q_.size()) continue;
    const int q = q_[index] != kUnlisted ? q_[index] : star_;
    if (q > best_q) {
      best = coding;
      best_q = q;
    }
  }
  // Identity competes only when the client ranked it: "identity;q=1, gzip;q=0.5" asks for
  // identity first. Unlisted, it is the fallback, below any coding (a tie goes to the coding).
  const int identity_q = q_[static_cast<std::size_t>(ContentCoding::kIdentity)];
  return identity_q > best_q ? ContentCoding::kIdentity : best;
}

}  // namespace surge::detail
