#include "encoding/stream_encoder.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "decoders.hpp"
#include "heap_count.hpp"

namespace surge::detail {
namespace {

using surge::test::decode_whole;
using surge::test::StreamDecoder;

constexpr ContentCoding kCodings[] = {ContentCoding::kGzip, ContentCoding::kBrotli,
                                      ContentCoding::kZstd};

// Pieces of a JSON event stream, of uneven sizes (a few bytes to a few KiB).
std::vector<std::string> json_pieces(std::size_t count) {
  std::vector<std::string> pieces;
  for (std::size_t i = 0; i < count; ++i) {
    std::string piece = "{\"seq\":" + std::to_string(i) + ",\"items\":[";
    for (std::size_t j = 0; j < (i * 7) % 60; ++j) {
      piece += "{\"name\":\"item-" + std::to_string(j) +
               "\",\"price\":" + std::to_string(i * j % 991) + "},";
    }
    piece += "]}\n";
    pieces.push_back(std::move(piece));
  }
  return pieces;
}

// One body through `encoder`; every write's output is fed to a streaming decoder at once, which
// must then have decoded exactly what was written so far (the flush property).
void expect_streamed_body(StreamEncoder& encoder, ContentCoding coding, int level,
                          const std::vector<std::string>& pieces) {
  SCOPED_TRACE(std::string(coding_name(coding)) + " level " + std::to_string(level));
  ASSERT_TRUE(encoder.start(coding, level));
  EXPECT_EQ(encoder.coding(), coding);
  ByteBuffer out;
  StreamDecoder decoder(coding);
  std::string written;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const std::size_t before = out.size();
    ASSERT_TRUE(encoder.write(pieces[i], out)) << "piece " << i;
    ASSERT_GT(out.size(), before) << "piece " << i;
    decoder.feed(out.view().substr(before));
    written += pieces[i];
    ASSERT_FALSE(decoder.failed()) << "piece " << i;
    ASSERT_EQ(decoder.text().size(), written.size()) << "piece " << i;
    ASSERT_TRUE(decoder.text() == written) << "piece " << i;
    ASSERT_FALSE(decoder.finished()) << "piece " << i;
  }
  // Until finish() the body is not complete: a one-shot decoder refuses it.
  EXPECT_FALSE(decode_whole(coding, out.view(), written.size()).has_value());

  const std::size_t before = out.size();
  ASSERT_TRUE(encoder.finish(out));
  decoder.feed(out.view().substr(before));
  EXPECT_FALSE(decoder.failed());
  EXPECT_TRUE(decoder.finished());
  EXPECT_TRUE(decoder.text() == written);
  EXPECT_TRUE(decode_whole(coding, out.view(), written.size()) == written);
}

TEST(StreamEncoder, EveryWriteDecodesToEverythingWrittenSoFar) {
  const std::vector<std::string> pieces = json_pieces(50);
  for (const ContentCoding coding : kCodings) {
    StreamEncoder encoder;
    expect_streamed_body(encoder, coding, 5, pieces);
  }
}

TEST(StreamEncoder, FlushHoldsAtTheLowestAndHighestLevels) {
  const std::vector<std::string> pieces = json_pieces(20);
  StreamEncoder encoder;
  expect_streamed_body(encoder, ContentCoding::kGzip, 1, pieces);
  expect_streamed_body(encoder, ContentCoding::kGzip, 9, pieces);
  expect_streamed_body(encoder, ContentCoding::kBrotli, 0, pieces);
  expect_streamed_body(encoder, ContentCoding::kBrotli, 11, pieces);
  expect_streamed_body(encoder, ContentCoding::kZstd, 1, pieces);
  expect_streamed_body(encoder, ContentCoding::kZstd, 19, pieces);
}

TEST(StreamEncoder, ReusedAfterFinishWithAnotherCodingAndLevel) {
  const std::vector<std::string> pieces = json_pieces(12);
  StreamEncoder encoder;
  expect_streamed_body(encoder, ContentCoding::kGzip, 1, pieces);
  expect_streamed_body(encoder, ContentCoding::kBrotli, 11, pieces);
  expect_streamed_body(encoder, ContentCoding::kZstd, 19, pieces);
  expect_streamed_body(encoder, ContentCoding::kGzip, 9, pieces);  // a new level on a kept stream
  expect_streamed_body(encoder, ContentCoding::kGzip, 9, pieces);
  expect_streamed_body(encoder, ContentCoding::kZstd, 1, pieces);
  expect_streamed_body(encoder, ContentCoding::kBrotli, 1, pieces);
}

TEST(StreamEncoder, StartAgainWithoutFinishBeginsAFreshBody) {
  // A body abandoned half-way (the client went away) leaves nothing behind for the next.
  const std::vector<std::string> pieces = json_pieces(5);
  for (const ContentCoding coding : kCodings) {
    StreamEncoder encoder;
    ASSERT_TRUE(encoder.start(coding, 3));
    ByteBuffer abandoned;
    ASSERT_TRUE(encoder.write("half of a body that nobody will finish", abandoned));
    expect_streamed_body(encoder, coding, 3, pieces);
  }
}

TEST(StreamEncoder, EmptyPieceWritesNothing) {
  for (const ContentCoding coding : kCodings) {
    StreamEncoder encoder;
    ASSERT_TRUE(encoder.start(coding, 3));
    ByteBuffer out;
    EXPECT_TRUE(encoder.write("", out)) << coding_name(coding);
    EXPECT_EQ(out.size(), 0u) << coding_name(coding);
    ASSERT_TRUE(encoder.write("data", out));
    const std::size_t size = out.size();
    EXPECT_TRUE(encoder.write({}, out));
    EXPECT_EQ(out.size(), size) << coding_name(coding);
    ASSERT_TRUE(encoder.finish(out));
    EXPECT_EQ(decode_whole(coding, out.view(), 4), "data") << coding_name(coding);
  }
}

TEST(StreamEncoder, EmptyBodyIsAValidEncoding) {
  for (const ContentCoding coding : kCodings) {
    StreamEncoder encoder;
    ASSERT_TRUE(encoder.start(coding, 3));
    ByteBuffer out;
    ASSERT_TRUE(encoder.finish(out));
    EXPECT_EQ(decode_whole(coding, out.view(), 0), "") << coding_name(coding);
  }
}

TEST(StreamEncoder, LargePiecesRoundTrip) {
  std::string big;
  for (std::uint32_t i = 0; big.size() < (1u << 20); ++i)
    big += std::to_string(i * 2654435761u);
  for (const ContentCoding coding : kCodings) {
    StreamEncoder encoder;
    ASSERT_TRUE(encoder.start(coding, 3));
    ByteBuffer out;
    ASSERT_TRUE(encoder.write(big, out));
    ASSERT_TRUE(encoder.write(big, out));
    ASSERT_TRUE(encoder.finish(out));
    EXPECT_TRUE(decode_whole(coding, out.view(), 2 * big.size()) == big + big)
        << coding_name(coding);
  }
}

TEST(StreamEncoder, RefusesWorkOutsideABody) {
  StreamEncoder encoder;
  ByteBuffer out;
  EXPECT_EQ(encoder.coding(), ContentCoding::kIdentity);
  EXPECT_FALSE(encoder.write("x", out));  // never started
  EXPECT_FALSE(encoder.finish(out));
  EXPECT_FALSE(encoder.start(ContentCoding::kIdentity, 1));
  EXPECT_EQ(encoder.coding(), ContentCoding::kIdentity);

  ASSERT_TRUE(encoder.start(ContentCoding::kGzip, 1));
  ASSERT_TRUE(encoder.finish(out));
  const std::size_t size = out.size();
  EXPECT_FALSE(encoder.write("x", out));  // finished
  EXPECT_FALSE(encoder.finish(out));
  EXPECT_EQ(out.size(), size);
}

TEST(StreamEncoder, OutOfRangeLevelsAreClamped) {
  const std::vector<std::string> pieces = json_pieces(4);
  StreamEncoder encoder;
  for (const ContentCoding coding : kCodings) {
    expect_streamed_body(encoder, coding, -100, pieces);
    expect_streamed_body(encoder, coding, 100, pieces);
  }
}

TEST(StreamEncoder, WarmGzipAndZstdStreamsDoNotAllocate) {
  const std::vector<std::string> pieces = json_pieces(20);
  for (const ContentCoding coding : {ContentCoding::kGzip, ContentCoding::kZstd}) {
    StreamEncoder encoder;
    ByteBuffer out;
    for (int round = 0; round < 2; ++round) {
      out.clear();
      const std::uint64_t before = surge::test::heap_allocations();
      ASSERT_TRUE(encoder.start(coding, 6));
      for (const std::string& piece : pieces)
        ASSERT_TRUE(encoder.write(piece, out));
      ASSERT_TRUE(encoder.finish(out));
      const std::uint64_t allocations = surge::test::heap_allocations() - before;
      if (round == 1) {
        EXPECT_EQ(allocations, 0u) << coding_name(coding);
      }
    }
  }
}

}  // namespace
}  // namespace surge::detail
