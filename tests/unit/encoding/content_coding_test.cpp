#include "encoding/content_coding.hpp"

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

TEST(ContentCoding, NamesAreTheContentEncodingTokens) {
  EXPECT_EQ(coding_name(ContentCoding::kIdentity), "identity");
  EXPECT_EQ(coding_name(ContentCoding::kGzip), "gzip");
  EXPECT_EQ(coding_name(ContentCoding::kBrotli), "br");
  EXPECT_EQ(coding_name(ContentCoding::kZstd), "zstd");
}

TEST(ContentCoding, EveryNameReadsBackAsItsCoding) {
  for (const ContentCoding coding : {ContentCoding::kIdentity, ContentCoding::kGzip,
                                     ContentCoding::kBrotli, ContentCoding::kZstd}) {
    EXPECT_EQ(coding_from_name(coding_name(coding)), coding) << coding_name(coding);
  }
}

TEST(ContentCoding, TokensAreCaseInsensitive) {
  EXPECT_EQ(coding_from_name("GZIP"), ContentCoding::kGzip);
  EXPECT_EQ(coding_from_name("GzIp"), ContentCoding::kGzip);
  EXPECT_EQ(coding_from_name("BR"), ContentCoding::kBrotli);
  EXPECT_EQ(coding_from_name("Zstd"), ContentCoding::kZstd);
  EXPECT_EQ(coding_from_name("IDENTITY"), ContentCoding::kIdentity);
}

TEST(ContentCoding, XGzipIsGzip) {
  EXPECT_EQ(coding_from_name("x-gzip"), ContentCoding::kGzip);
  EXPECT_EQ(coding_from_name("X-GZIP"), ContentCoding::kGzip);
}

TEST(ContentCoding, CodingsSurgeDoesNotProduceAreUnknown) {
  for (const char* token : {"deflate", "compress", "x-compress", "*", "", "gzi", "gzipp", "gzip ",
                            " gzip", "brotli", "zstandard", "x-br", "identity;q=1"}) {
    EXPECT_EQ(coding_from_name(token), std::nullopt) << '"' << token << '"';
  }
}

}  // namespace
}  // namespace surge::detail
