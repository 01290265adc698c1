#include "handlers/file_coding.hpp"

#include <stdio.h>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include "encoding/buffer_encoder.hpp"
#include "support/fake_exchange.hpp"

namespace surge::detail {
namespace {

using test::FakeExchange;

AcceptEncoding accepting(std::string_view line) {
  AcceptEncoding accept;
  accept.add_line(line);
  return accept;
}

CodingOffer offer_of(std::initializer_list<ContentCoding> codings) {
  CodingOffer offer;
  for (ContentCoding c : codings)
    offer.add(c);
  return offer;
}

constexpr auto kGzip = ContentCoding::kGzip;
constexpr auto kBrotli = ContentCoding::kBrotli;
constexpr auto kZstd = ContentCoding::kZstd;

TEST(RankCodings, ByQvalueThenTheOffersOrder) {
  const CodingOffer offer = offer_of({kZstd, kBrotli, kGzip});
  const CodingRanking r = rank_codings(accepting("gzip;q=0.9, br;q=0.5, zstd;q=0.5"), offer);
  ASSERT_EQ(r.count, 3u);
  EXPECT_EQ(r.order[0], kGzip);
  EXPECT_EQ(r.order[1], kZstd);  // a tie with br: the offer's order
  EXPECT_EQ(r.order[2], kBrotli);
}

TEST(RankCodings, LeavesOutWhatTheClientRefusesOrTheServerDoesNotOffer) {
  const CodingRanking r = rank_codings(accepting("*, br;q=0"), offer_of({kBrotli, kGzip}));
  ASSERT_EQ(r.count, 1u);
  EXPECT_EQ(r.order[0], kGzip);
  EXPECT_EQ(rank_codings(accepting("zstd"), offer_of({kGzip})).count, 0u);
  EXPECT_EQ(rank_codings(AcceptEncoding(), offer_of({kGzip})).count, 0u);  // field absent
  EXPECT_EQ(rank_codings(accepting("identity"), offer_of({kGzip})).count, 0u);
}

TEST(SiblingSuffix, IsTheUsualExtension) {
  EXPECT_EQ(sibling_suffix(kGzip), ".gz");
  EXPECT_EQ(sibling_suffix(kBrotli), ".br");
  EXPECT_EQ(sibling_suffix(kZstd), ".zst");
  EXPECT_EQ(sibling_suffix(ContentCoding::kIdentity), "");
}

TEST(DerivedEtag, WeakAndSiblingTags) {
  constexpr std::string_view kLongest = "\"ffffffffffffffff-ffffffffffffffff\"";
  EXPECT_EQ(DerivedEtag::weak("\"c-1\"").value(), "W/\"c-1\"");
  EXPECT_EQ(DerivedEtag::of_sibling("\"c-1\"", kBrotli).value(), "\"c-1-br\"");
  EXPECT_EQ(DerivedEtag::of_sibling("\"c-1\"", kZstd).value(), "\"c-1-zstd\"");
  EXPECT_EQ(DerivedEtag::weak(kLongest).value(), "W/" + std::string(kLongest));
  EXPECT_EQ(DerivedEtag::of_sibling(kLongest, ContentCoding::kIdentity).value(),
            "\"ffffffffffffffff-ffffffffffffffff-identity\"");
}

TEST(ReadFileCodingRequest, FoldsAcceptEncodingLinesAndSeesNoTransformAndRange) {
  FakeExchange plain(
      test::request("GET", "/f", "Accept-Encoding: br;q=0.1\r\nAccept-Encoding: gzip\r\n"));
  const FileCodingRequest wants = read_file_coding_request(plain.ctx().request());
  EXPECT_FALSE(wants.identity_only);
  EXPECT_EQ(wants.accept.choose(offer_of({kBrotli, kGzip})), kGzip);

  FakeExchange no_transform(test::request("GET", "/f", "Cache-Control: No-Transform\r\n"));
  EXPECT_TRUE(read_file_coding_request(no_transform.ctx().request()).identity_only);
  FakeExchange range(test::request("GET", "/f", "Range: bytes=0-1\r\n"));
  EXPECT_TRUE(read_file_coding_request(range.ctx().request()).identity_only);
  // HEAD ignores Range (RFC 9110 14.2): its answer is GET's without one.
  FakeExchange head_range(test::request("HEAD", "/f", "Range: bytes=0-1\r\n"));
  EXPECT_FALSE(read_file_coding_request(head_range.ctx().request()).identity_only);
}

class CodedCopy : public ::testing::Test {
 protected:
  CodedCopy() {
    file_ = ::tmpfile();
    const std::string content(3000, 'q');
    ::fwrite(content.data(), 1, content.size(), file_);
    ::fflush(file_);
  }
  ~CodedCopy() override { ::fclose(file_); }
  int fd() const { return ::fileno(file_); }
  static FileVariantKey key(std::uint64_t size) {
    return {.path = "q.txt", .size = size, .coding = kGzip};
  }

  FILE* file_ = nullptr;
};

TEST_F(CodedCopy, CompressesOnAMissAndStoresTheCopy) {
  FileVariantCache cache(1 << 20);
  std::string scratch;
  const std::string* copy = coded_copy(cache, key(3000), 1, fd(), scratch);
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(*copy, compress_whole(kGzip, 1, std::string(3000, 'q')));
  EXPECT_EQ(cache.find(key(3000)), copy);
  EXPECT_EQ(coded_copy(cache, key(3000), 1, -1, scratch), copy);  // a hit reads nothing
}

TEST_F(CodedCopy, ACopyTooLargeForTheCacheIsLeftInScratch) {
  FileVariantCache cache(10);
  std::string scratch;
  const std::string* copy = coded_copy(cache, key(3000), 1, fd(), scratch);
  EXPECT_EQ(copy, &scratch);
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(CodedCopy, AShortFileOrABadDescriptorGivesNothing) {
  FileVariantCache cache(1 << 20);
  std::string scratch;
  EXPECT_EQ(coded_copy(cache, key(3001), 1, fd(), scratch), nullptr);  // shrank since fstat
  EXPECT_EQ(coded_copy(cache, key(3000), 1, -1, scratch), nullptr);
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace surge::detail
