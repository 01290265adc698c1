#pragma once
// AcceptEncoding: content negotiation of Accept-Encoding (RFC 9110 12.5.3) without allocating.

#include <array>
#include <cstdint>
#include <string_view>

#include "encoding/content_coding.hpp"

namespace surge::detail {

/// The codings a server offers for a response, in its order of preference (identity is implied
/// and never listed). At most kCodingCount - 1 entries.
struct CodingOffer {
  std::array<ContentCoding, kCodingCount - 1> order{};
  std::uint8_t count = 0;

  void add(ContentCoding coding) {
    if (coding != ContentCoding::kIdentity && count < order.size() && !offers(coding)) order[count++] = coding;
  }
  bool offers(ContentCoding coding) const {
    for (std::uint8_t i = 0; i < count; ++i) {
      if (order[i] == coding) return true;
    }
    return false;
  }
  bool operator==(const CodingOffer&) const = default;
};

/// What one request's Accept-Encoding field lines say, folded into one qvalue per coding (in
/// thousandths: "q=0.5" is 500). Lines are added one by one (RFC 9110 5.3: several lines form one
/// list). Malformed members are skipped, never fatal: a field that cannot be read is as good as
/// absent for that member.
class AcceptEncoding final {
 public:
  /// One field line's value.
  void add_line(std::string_view value);
  /// Whether any Accept-Encoding line was added.
  bool present() const { return present_; }

  /// The coding to answer with: among `offer`'s codings acceptable to the client (a qvalue above
  /// 0, listed or through "*"), the one with the highest qvalue, ties going to the earlier in
  /// `offer`; identity when the client listed it with a higher qvalue than that. kIdentity when the field is absent (RFC 9110 allows any coding then, but clients
  /// that send nothing may not decode anything: nginx and Envoy send identity too), empty, or
  /// names no offered coding acceptably. Identity is answered even when "identity;q=0" or "*;q=0"
  /// rules it out and nothing else fits: RFC 9110 12.5.3 lets a server disregard the field rather
  /// than answer 406, and a representation the client can read later beats an error.
  ContentCoding choose(const CodingOffer& offer) const;

 private:
  static constexpr int kUnlisted = -1;
  std::array<int, kCodingCount> q_{kUnlisted, kUnlisted, kUnlisted, kUnlisted};  // by ContentCoding
  int star_ = kUnlisted;
  bool present_ = false;
};

}  // namespace surge::detail
