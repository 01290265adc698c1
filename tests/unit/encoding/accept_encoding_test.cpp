#include "encoding/accept_encoding.hpp"

#include <initializer_list>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/allocation_counter.hpp"

namespace surge::detail {
namespace {

constexpr ContentCoding kId = ContentCoding::kIdentity;
constexpr ContentCoding kGz = ContentCoding::kGzip;
constexpr ContentCoding kBr = ContentCoding::kBrotli;
constexpr ContentCoding kZs = ContentCoding::kZstd;

CodingOffer offer(std::initializer_list<ContentCoding> codings) {
  CodingOffer o;
  for (const ContentCoding c : codings)
    o.add(c);
  return o;
}

const CodingOffer kAll = offer({kZs, kBr, kGz});  // the server prefers zstd, then br, then gzip

struct Row {
  std::vector<std::string> lines;  // each an Accept-Encoding field line; none: the field is absent
  CodingOffer offer;
  ContentCoding expected;
};

std::string describe(const Row& row) {
  std::string s = row.lines.empty() ? "(absent)" : "";
  for (const std::string& line : row.lines)
    s += "[" + line + "] ";
  s += "offer:";
  for (std::uint8_t i = 0; i < row.offer.count; ++i) {
    s += " ";
    s += coding_name(row.offer.order[i]);
  }
  return s;
}

const std::vector<Row>& negotiation_table() {
  static const std::vector<Row> rows{
      // The field's presence.
      {{}, kAll, kId},
      {{""}, kAll, kId},
      {{"  \t "}, kAll, kId},
      {{"gzip"}, kAll, kGz},
      {{"GZIP"}, kAll, kGz},
      {{"x-gzip"}, kAll, kGz},
      {{"ZsTd"}, kAll, kZs},
      // qvalues.
      {{"gzip;q=0"}, kAll, kId},
      {{"br;q=0.5, gzip"}, kAll, kGz},
      {{"zstd;q=0.9, br;q=0.9, gzip;q=1"}, kAll, kGz},
      {{"gzip;q=0.001"}, kAll, kGz},
      {{"gzip;q=1.000, br;q=0.999"}, kAll, kGz},
      {{"gzip;q=1., br;q=0.999"}, kAll, kGz},
      {{"gzip;q=0."}, kAll, kId},
      {{"gzip;q=1.001"}, kAll, kId},
      {{"gzip;q=1.001, br;q=0.1"}, kAll, kBr},  // only the bad member is skipped
      {{"gzip;q=2, br;q=0.1"}, kAll, kBr},
      {{"gzip;q=0.1234, br;q=0.1"}, kAll, kBr},
      {{"gzip;q=abc, br;q=0.1"}, kAll, kBr},
      {{"gzip;q=-1, br;q=0.1"}, kAll, kBr},
      {{"gzip;q=, br;q=0.1"}, kAll, kBr},
      {{"gzip;q=\"1\", br;q=0.1"}, kAll, kBr},
      {{"gzip;q=0.a, br;q=0.1"}, kAll, kBr},
      {{"gzip;q=0.1x, br;q=0.1"}, kAll, kBr},
      // Ties go to the server's order.
      {{"gzip, br"}, kAll, kBr},
      {{"gzip, br"}, offer({kGz, kBr}), kGz},
      {{"gzip, br"}, offer({kGz}), kGz},
      {{"br"}, offer({kGz}), kId},
      // "*" and identity.
      {{"*"}, kAll, kZs},
      {{"*"}, offer({kGz, kBr}), kGz},
      {{"*;q=0"}, kAll, kId},
      {{"*;q=0, gzip"}, kAll, kGz},
      {{"*, gzip;q=0.1"}, offer({kGz, kBr}), kBr},
      {{"*;q=0.5, gzip;q=0"}, offer({kGz, kBr}), kBr},
      {{"identity"}, kAll, kId},
      {{"identity;q=0"}, kAll, kId},  // nothing else fits: identity all the same
      {{"identity;q=0, gzip"}, kAll, kGz},
      {{"identity;q=0, *;q=0"}, kAll, kId},
      {{"identity;q=1, gzip;q=0.5"}, kAll, kId},  // ranked above every coding: asked for first
      {{"identity;q=0.5, gzip;q=0.5"}, kAll, kGz},  // a tie goes to the coding
      {{"identity;q=0.5, *"}, kAll, kZs},
      // Codings surge does not produce.
      {{"deflate"}, kAll, kId},
      {{"compress, gzip;q=0.2"}, kAll, kGz},
      {{"compress;q=1, deflate, gzip;q=0.2, unknown-thing"}, kAll, kGz},
      // Whitespace and empty members: a q that is read makes gzip win over br's 0.4.
      {{"br;q=0.4, gzip ;q=0.5"}, kAll, kGz},
      {{"br;q=0.4, gzip; Q=0.5"}, kAll, kGz},
      {{"br;q=0.4,gzip\t;\tq = 0.5 "}, kAll, kGz},
      {{", , gzip"}, kAll, kGz},
      {{"gzip,,, ,"}, kAll, kGz},
      {{"gzip;"}, kAll, kGz},
      {{" br;q=0.4 ,\tgzip;q=0.5\t"}, kAll, kGz},
      // Several field lines form one list.
      {{"br;q=0.2", "gzip;q=0.8"}, kAll, kGz},
      {{"gzip;q=0.8", "br"}, kAll, kBr},
      {{"br;q=0.5", ""}, kAll, kBr},
      {{"", "*;q=0"}, kAll, kId},
      // A coding named twice keeps its best qvalue.
      {{"gzip;q=0, gzip;q=0.7, br;q=0.6"}, kAll, kGz},
      {{"gzip;q=0.7, gzip;q=0, br;q=0.6"}, kAll, kGz},
      {{"gzip;q=0.3", "x-gzip;q=0.9, br;q=0.6"}, kAll, kGz},
      // Other parameters are ignored; a quoted comma does not end a member.
      {{"br;level=5;q=0.3, gzip;foo=\"a,b;q=1\";q=0.6"}, kAll, kGz},
      {{"gzip;foo;q=0.6, br;q=0.3"}, kAll, kGz},
      {{"gzip;foo=bar"}, kAll, kGz},
      // Malformed members are skipped, the rest is read.
      {{"gzip br"}, kAll, kId},
      {{"gzip br, zstd;q=0.1"}, kAll, kZs},
      {{"gzip;=1, br;q=0.1"}, kAll, kBr},
      {{"gzip;q=0.5 0.6, br;q=0.1"}, kAll, kBr},
      {{"\"gzip\", br;q=0.1"}, kAll, kBr},
      {{"gzip;x=\"unterminated, br"}, kAll, kId},
      // Nothing offered: identity whatever the client says.
      {{"gzip"}, offer({}), kId},
      {{"*"}, offer({}), kId},
  };
  return rows;
}

TEST(AcceptEncoding, NegotiationTable) {
  for (const Row& row : negotiation_table()) {
    AcceptEncoding accept;
    for (const std::string& line : row.lines)
      accept.add_line(line);
    EXPECT_EQ(accept.present(), !row.lines.empty()) << describe(row);
    EXPECT_EQ(coding_name(accept.choose(row.offer)), coding_name(row.expected)) << describe(row);
  }
}

TEST(AcceptEncoding, AbsentFieldIsIdentityEvenWhenEverythingIsOffered) {
  const AcceptEncoding accept;
  EXPECT_FALSE(accept.present());
  EXPECT_EQ(accept.choose(kAll), kId);
}

TEST(AcceptEncoding, OfferIgnoresIdentityDuplicatesAndOverflow) {
  CodingOffer o;
  o.add(kId);
  o.add(kBr);
  o.add(kBr);
  o.add(kGz);
  o.add(kZs);
  o.add(kGz);
  EXPECT_EQ(o.count, 3);
  EXPECT_EQ(o, offer({kBr, kGz, kZs}));
  EXPECT_TRUE(o.offers(kZs));
  EXPECT_FALSE(o.offers(kId));
}

TEST(AcceptEncoding, ChoosingStaysWithinTheOfferWhenItsCountIsCorrupt) {
  CodingOffer o = offer({kGz});
  o.count = 200;  // a public field: choose() must not read past the array
  AcceptEncoding accept;
  accept.add_line("gzip");
  EXPECT_EQ(accept.choose(o), kGz);
}

TEST(AcceptEncoding, NeitherParsingNorChoosingAllocates) {
  // Long enough that a copy into std::string could not hide in the small-string buffer.
  const std::string line =
      "compress;q=0.1, deflate;q=0.2, gzip;q=0.250;level=\"very, very long quoted value\", "
      "br;q=0.75, zstd;q=0.5, *;q=0.01, identity;q=0, x-something-unknown-and-long";
  const std::uint64_t before = surge::test::allocation_count();
  AcceptEncoding accept;
  accept.add_line(line);
  accept.add_line(line);
  const ContentCoding chosen = accept.choose(kAll);
  const std::uint64_t after = surge::test::allocation_count();
  EXPECT_EQ(after - before, 0u);
  EXPECT_EQ(chosen, kBr);
}

TEST(AcceptEncoding, HostileValuesNeverCrash) {
  for (const char* value :
       {"\"", ";", "=", ",", ";;;;", "q=1", ";q=1", "gzip;q", "gzip;q=", "gzip;\"", "gzip;a=\"\\",
        "gzip;a=\"\\\"", "*;q=0.", "\x01\x7f\xff", "gzip;q=0.5;q=0.6;q", "gzip\0br"}) {
    AcceptEncoding accept;
    accept.add_line(value);
    const ContentCoding chosen = accept.choose(kAll);
    EXPECT_TRUE(chosen == kId || kAll.offers(chosen)) << value;
  }
}

}  // namespace
}  // namespace surge::detail
