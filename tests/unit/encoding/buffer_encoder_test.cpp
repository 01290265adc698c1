#include "encoding/buffer_encoder.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "decoders.hpp"
#include "heap_count.hpp"

namespace surge::detail {
namespace {

using surge::test::decode_whole;

constexpr ContentCoding kCodings[] = {ContentCoding::kGzip, ContentCoding::kBrotli,
                                      ContentCoding::kZstd};

// Log-like lines: compress well, as most HTML and JSON does.
std::string repetitive_text(std::size_t size) {
  std::string s;
  for (std::uint32_t i = 0; s.size() < size; ++i) {
    s += "{\"id\":" + std::to_string(i) + ",\"path\":\"/api/v1/items/" + std::to_string(i % 97) +
         "\",\"status\":200,\"ok\":true}\n";
  }
  s.resize(size);
  return s;
}

// xorshift64: reproducible bytes. With a small alphabet they still compress somewhat; with all
// 256 values they do not, which exercises each library's worst-case bound.
std::string random_text(std::size_t size, std::string_view alphabet, std::uint64_t seed) {
  std::string s(size, '\0');
  for (char& c : s) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    c = alphabet.empty() ? static_cast<char>(seed >> 56) : alphabet[seed % alphabet.size()];
  }
  return s;
}

std::string encoded(BufferEncoder& encoder, ContentCoding coding, std::string_view in) {
  ByteBuffer out;
  EXPECT_TRUE(encoder.encode(coding, in, out)) << coding_name(coding);
  return std::string(out.view());
}

TEST(BufferEncoder, RoundTripsEachCodingAtSeveralLevels) {
  const std::string inputs[] = {
      repetitive_text(100'000),
      random_text(64'000, "abcdefghijklmnopqrstuvwxyz     ,.\n", 1),
      random_text(20'000, {}, 2),
      "x",
      "",
  };
  // Out-of-range levels are clamped, not refused.
  const CodingLevels level_sets[] = {
      {1, 0, 1}, {6, 5, 3}, {12, 11, 19}, {-7, -7, -7}, {99, 99, 99}};
  for (const CodingLevels& levels : level_sets) {
    BufferEncoder encoder(levels);
    for (const ContentCoding coding : kCodings) {
      for (const std::string& in : inputs) {
        ByteBuffer out;
        out.append("head:");  // encode() appends
        ASSERT_TRUE(encoder.encode(coding, in, out)) << coding_name(coding);
        ASSERT_EQ(out.view().substr(0, 5), "head:");
        const auto decoded = decode_whole(coding, out.view().substr(5), in.size());
        ASSERT_TRUE(decoded.has_value())
            << coding_name(coding) << " level " << levels.of(coding) << " size " << in.size();
        EXPECT_TRUE(*decoded == in) << coding_name(coding) << " level " << levels.of(coding);
      }
    }
  }
}

TEST(BufferEncoder, GzipOutputIsAGzipMember) {
  BufferEncoder encoder(CodingLevels{});
  const std::string out = encoded(encoder, ContentCoding::kGzip, "hello, hello, hello");
  ASSERT_GE(out.size(), 18u);  // 10-byte header, 8-byte trailer
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(out[1]), 0x8b);
  EXPECT_EQ(static_cast<unsigned char>(out[2]), 8);  // deflate
}

TEST(BufferEncoder, DecoderCatchesACorruptGzipTrailer) {
  // The round-trip tests rely on the decoder checking the CRC-32: show that it does.
  BufferEncoder encoder(CodingLevels{});
  const std::string in = repetitive_text(5000);
  std::string out = encoded(encoder, ContentCoding::kGzip, in);
  ASSERT_TRUE(decode_whole(ContentCoding::kGzip, out, in.size()).has_value());
  out[out.size() - 8] ^= 0x01;  // the CRC-32's first byte
  EXPECT_FALSE(decode_whole(ContentCoding::kGzip, out, in.size()).has_value());
}

TEST(BufferEncoder, OneMebibyte) {
  const std::string text = repetitive_text(1 << 20);
  const std::string noise = random_text(1 << 20, {}, 3);
  BufferEncoder encoder(CodingLevels{6, 5, 3});
  for (const ContentCoding coding : kCodings) {
    const std::string small = encoded(encoder, coding, text);
    EXPECT_LT(small.size(), text.size() / 8) << coding_name(coding);
    EXPECT_TRUE(decode_whole(coding, small, text.size()) == text) << coding_name(coding);
    // Incompressible input still fits the bound the encoder reserved.
    const std::string big = encoded(encoder, coding, noise);
    EXPECT_TRUE(decode_whole(coding, big, noise.size()) == noise) << coding_name(coding);
  }
}

TEST(BufferEncoder, HigherLevelsAreHonoured) {
  const std::string in = random_text(200'000, "the quick brown fox jumps over a lazy dog", 4) +
                         repetitive_text(200'000);
  BufferEncoder fast(CodingLevels{1, 0, 1});
  BufferEncoder best(kBestLevels);
  for (const ContentCoding coding : kCodings) {
    EXPECT_LT(encoded(best, coding, in).size(), encoded(fast, coding, in).size())
        << coding_name(coding);
  }
  EXPECT_EQ(best.levels(), kBestLevels);
}

TEST(BufferEncoder, IdentityIsNotAnEncoding) {
  BufferEncoder encoder(CodingLevels{});
  ByteBuffer out;
  out.append("kept");
  EXPECT_FALSE(encoder.encode(ContentCoding::kIdentity, "body", out));
  EXPECT_EQ(out.view(), "kept");
}

TEST(BufferEncoder, WarmEncoderDoesNotAllocateForGzipOrZstd) {
  const std::string in = repetitive_text(64 * 1024);
  for (const ContentCoding coding : {ContentCoding::kGzip, ContentCoding::kZstd}) {
    BufferEncoder encoder(CodingLevels{6, 5, 3});
    ByteBuffer out;
    ASSERT_TRUE(encoder.encode(coding, in, out));
    out.clear();  // keeps the storage, as a connection's output buffer does
    const std::uint64_t before = surge::test::heap_allocations();
    ASSERT_TRUE(encoder.encode(coding, in, out));
    const std::uint64_t after = surge::test::heap_allocations();
    EXPECT_EQ(after - before, 0u) << coding_name(coding);
    EXPECT_TRUE(decode_whole(coding, out.view(), in.size()) == in) << coding_name(coding);
  }
}

TEST(BufferEncoder, HeapCounterSeesTheLibrariesMallocs) {
  // Without this, the test above could pass with a counter that sees nothing.
  if (!surge::test::kSeesLibraryMallocs) GTEST_SKIP() << "needs the AddressSanitizer build";
  const std::string in = repetitive_text(64 * 1024);
  for (const ContentCoding coding : kCodings) {
    BufferEncoder encoder(CodingLevels{6, 5, 3});
    ByteBuffer out;
    out.prepare(1 << 20);  // so only the library can allocate
    const std::uint64_t before = surge::test::heap_allocations();
    ASSERT_TRUE(encoder.encode(coding, in, out));
    EXPECT_GT(surge::test::heap_allocations(), before) << coding_name(coding);
  }
}

TEST(BufferEncoder, BrotliAllocatesOnEveryBody) {
  // BrotliEncoderCompress builds its encoder inside each call: what the header documents.
  if (!surge::test::kSeesLibraryMallocs) GTEST_SKIP() << "needs the AddressSanitizer build";
  const std::string in = repetitive_text(64 * 1024);
  BufferEncoder encoder(CodingLevels{6, 5, 3});
  ByteBuffer out;
  ASSERT_TRUE(encoder.encode(ContentCoding::kBrotli, in, out));
  out.clear();
  const std::uint64_t before = surge::test::heap_allocations();
  ASSERT_TRUE(encoder.encode(ContentCoding::kBrotli, in, out));
  EXPECT_GT(surge::test::heap_allocations(), before);
}

TEST(BufferEncoder, CompressWholeRoundTrips) {
  const std::string in = repetitive_text(30'000);
  for (const ContentCoding coding : kCodings) {
    const std::string out = compress_whole(coding, kBestLevels.of(coding), in);
    EXPECT_LT(out.size(), in.size()) << coding_name(coding);
    EXPECT_TRUE(decode_whole(coding, out, in.size()) == in) << coding_name(coding);
    const std::string empty = compress_whole(coding, 1, "");
    EXPECT_EQ(decode_whole(coding, empty, 0), "") << coding_name(coding);
  }
  EXPECT_TRUE(compress_whole(ContentCoding::kIdentity, 5, in) == in);
}

}  // namespace
}  // namespace surge::detail
