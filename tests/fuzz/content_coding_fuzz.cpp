// fuzz_content_coding: Accept-Encoding negotiation (src/encoding/accept_encoding.cpp) on fuzzed
// field lines, and the encoders (buffer_encoder, stream_encoder) on fuzzed bodies, checked by the
// real decoders of the unit tests.
//
// Input (FuzzedDataProvider): the first byte picks the offer (its low bits: which codings, in
// which order); then the Accept-Encoding lines as ConsumeRandomLengthString reads them (up to
// 3); the rest is a body, cut into pieces at fuzzed points.
//   - choose() returns identity or a coding of the offer, never one the client refused with q=0
//     (checked where a plain scan can tell: the token once, as a whole "token;q=0" member).
//   - every offered coding, whole (BufferEncoder) and streamed piece by piece (StreamEncoder, one
//     encoder reused across codings), decodes to the body; after each streamed piece, what was
//     produced so far decodes to everything written so far (the flush).

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "encoding/accept_encoding.hpp"
#include "encoding/buffer_encoder.hpp"
#include "encoding/stream_encoder.hpp"
#include "fuzz/fuzz_check.hpp"
#include "unit/encoding/decoders.hpp"

namespace {

using surge::detail::AcceptEncoding;
using surge::detail::BufferEncoder;
using surge::detail::CodingOffer;
using surge::detail::ContentCoding;
using surge::detail::StreamEncoder;

constexpr ContentCoding kCodings[] = {ContentCoding::kGzip, ContentCoding::kBrotli, ContentCoding::kZstd};

CodingOffer offer_from(std::uint8_t bits) {
  CodingOffer offer;
  for (int i = 0; i < 3; ++i) {
    if (bits & (1u << i)) offer.add(kCodings[(i + (bits >> 3)) % 3]);
  }
  return offer;
}

// Whether the lines refuse `token` beyond doubt: it occurs once in them all (case-insensitively,
// anywhere: "x-gzip" and a quoted parameter count too), as a whole member "token;q=0". A plain
// scan the parser must agree with in this one respect.
bool refused_beyond_doubt(const std::vector<std::string>& lines, const std::string& token) {
  std::size_t occurrences = 0;
  bool refused = false;
  for (std::string line : lines) {
    for (char& c : line) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    for (std::size_t at = line.find(token); at != std::string::npos; at = line.find(token, at + 1)) {
      ++occurrences;
      const std::size_t end = at + token.size() + 4;
      refused = refused || (line.compare(at, token.size() + 4, token + ";q=0") == 0 &&
                            (at == 0 || line[at - 1] == ',') && (end == line.size() || line[end] == ','));
    }
  }
  return occurrences == 1 && refused;
}

void check_negotiation(FuzzedDataProvider& in, const CodingOffer& offer) {
  AcceptEncoding accept;
  std::vector<std::string> lines;
  const int count = in.ConsumeIntegralInRange(0, 3);
  for (int i = 0; i < count; ++i) {
    lines.push_back(in.ConsumeRandomLengthString(200));
    accept.add_line(lines.back());
  }
  const ContentCoding chosen = accept.choose(offer);
  SURGE_FUZZ_CHECK(chosen == ContentCoding::kIdentity || offer.offers(chosen));
  if (chosen == ContentCoding::kIdentity) return;
  const std::string name = chosen == ContentCoding::kGzip ? "gzip" : chosen == ContentCoding::kBrotli ? "br" : "zstd";
  // The refusal of the token wins over "*" (RFC 9110 12.5.3: the more specific entry).
  SURGE_FUZZ_CHECK_MSG(!refused_beyond_doubt(lines, name), "sent a refused coding: " + name);
}

void check_encoders(const std::string& body, const std::vector<std::size_t>& cuts, const CodingOffer& offer) {
  static BufferEncoder whole(surge::detail::CodingLevels{1, 1, 1});
  static StreamEncoder stream;
  for (std::uint8_t i = 0; i < offer.count; ++i) {
    const ContentCoding coding = offer.order[i];
    surge::detail::ByteBuffer out;
    SURGE_FUZZ_CHECK(whole.encode(coding, body, out));
    surge::test::StreamDecoder one(coding);
    one.feed(out.view());
    SURGE_FUZZ_CHECK(!one.failed() && one.finished() && one.text() == body);

    SURGE_FUZZ_CHECK(stream.start(coding, 1));
    surge::test::StreamDecoder decoder(coding);
    std::size_t at = 0;
    for (const std::size_t cut : cuts) {
      const std::size_t end = cut < at ? at : (cut > body.size() ? body.size() : cut);
      surge::detail::ByteBuffer piece;
      SURGE_FUZZ_CHECK(stream.write(std::string_view(body).substr(at, end - at), piece));
      decoder.feed(piece.view());
      at = end;
      SURGE_FUZZ_CHECK_MSG(!decoder.failed() && decoder.text() == body.substr(0, at), "a piece was not flushed");
    }
    surge::detail::ByteBuffer rest;
    SURGE_FUZZ_CHECK(stream.write(std::string_view(body).substr(at), rest));
    SURGE_FUZZ_CHECK(stream.finish(rest));
    decoder.feed(rest.view());
    SURGE_FUZZ_CHECK(!decoder.failed() && decoder.finished() && decoder.text() == body);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const CodingOffer offer = offer_from(in.ConsumeIntegral<std::uint8_t>());
  check_negotiation(in, offer);
  std::vector<std::size_t> cuts(in.ConsumeIntegralInRange(0, 8));
  for (std::size_t& cut : cuts) cut = in.ConsumeIntegralInRange<std::size_t>(0, 4096);
  check_encoders(in.ConsumeRemainingBytesAsString(), cuts, offer);
  return 0;
}
