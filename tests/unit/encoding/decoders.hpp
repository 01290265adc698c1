#pragma once
// Real decoders (zlib, libbrotlidec, libzstd) that check what the encoders produce: one-shot for
// whole bodies, incremental for streams.

#include <brotli/decode.h>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <zlib.h>
#include <zstd.h>

#include "encoding/content_coding.hpp"

namespace surge::test {

/// Incremental decoder: feed() the encoded bytes as they come; text() is everything decoded so
/// far. failed() after corrupt input; finished() once the encoding's end (with gzip's CRC-32 and
/// length checked) has been read.
class StreamDecoder {
 public:
  explicit StreamDecoder(detail::ContentCoding coding) : coding_(coding) {
    if (coding_ == detail::ContentCoding::kGzip) {
      failed_ = inflateInit2(&zlib_, 15 + 16) != Z_OK;
    } else if (coding_ == detail::ContentCoding::kBrotli) {
      brotli_ = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
      failed_ = brotli_ == nullptr;
    } else {
      zstd_ = ZSTD_createDStream();
      failed_ = zstd_ == nullptr;
    }
  }
  ~StreamDecoder() {
    if (coding_ == detail::ContentCoding::kGzip) inflateEnd(&zlib_);
    if (brotli_ != nullptr) BrotliDecoderDestroyInstance(brotli_);
    ZSTD_freeDStream(zstd_);
  }
  StreamDecoder(const StreamDecoder&) = delete;
  StreamDecoder& operator=(const StreamDecoder&) = delete;

  void feed(std::string_view in) {
    if (failed_) return;
    if (coding_ == detail::ContentCoding::kGzip) {
      feed_gzip(in);
    } else if (coding_ == detail::ContentCoding::kBrotli) {
      feed_brotli(in);
    } else {
      feed_zstd(in);
    }
  }
  const std::string& text() const { return text_; }
  bool failed() const { return failed_; }
  bool finished() const { return finished_; }

 private:
  static constexpr std::size_t kChunk = 4096;

  void feed_gzip(std::string_view in) {
    zlib_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zlib_.avail_in = static_cast<uInt>(in.size());
    for (;;) {
      char chunk[kChunk];
      zlib_.next_out = reinterpret_cast<Bytef*>(chunk);
      zlib_.avail_out = kChunk;
      const int rc = inflate(&zlib_, Z_SYNC_FLUSH);
      text_.append(chunk, kChunk - zlib_.avail_out);
      if (rc == Z_STREAM_END) {
        finished_ = true;
        failed_ = zlib_.avail_in != 0;  // bytes after the trailer
        return;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        failed_ = true;
        return;
      }
      if (zlib_.avail_in == 0 && zlib_.avail_out != 0) return;
    }
  }

  void feed_brotli(std::string_view in) {
    std::size_t avail_in = in.size();
    const auto* next_in = reinterpret_cast<const std::uint8_t*>(in.data());
    for (;;) {
      std::uint8_t chunk[kChunk];
      std::size_t avail_out = kChunk;
      std::uint8_t* next_out = chunk;
      const BrotliDecoderResult r = BrotliDecoderDecompressStream(brotli_, &avail_in, &next_in,
                                                                  &avail_out, &next_out, nullptr);
      text_.append(reinterpret_cast<const char*>(chunk), kChunk - avail_out);
      if (r == BROTLI_DECODER_RESULT_SUCCESS) {
        finished_ = true;
        failed_ = avail_in != 0;
        return;
      }
      if (r == BROTLI_DECODER_RESULT_ERROR) {
        failed_ = true;
        return;
      }
      if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) return;
    }
  }

  void feed_zstd(std::string_view in) {
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    for (;;) {
      char chunk[kChunk];
      ZSTD_outBuffer output{chunk, kChunk, 0};
      const std::size_t r = ZSTD_decompressStream(zstd_, &output, &input);
      if (ZSTD_isError(r)) {
        failed_ = true;
        return;
      }
      text_.append(chunk, output.pos);
      if (r == 0) {
        finished_ = true;
        failed_ = input.pos != input.size;
        return;
      }
      if (input.pos == input.size && output.pos < output.size) return;
    }
  }

  detail::ContentCoding coding_;
  z_stream zlib_{};
  BrotliDecoderState* brotli_ = nullptr;
  ZSTD_DStream* zstd_ = nullptr;
  std::string text_;
  bool failed_ = false;
  bool finished_ = false;
};

/// `in` decoded with the one-shot decoders (gzip: zlib's inflate to Z_STREAM_END, so the CRC-32
/// and length of the trailer are checked); nullopt unless `in` is exactly one complete encoding
/// that decodes to at most `capacity` bytes.
inline std::optional<std::string> decode_whole(detail::ContentCoding coding, std::string_view in,
                                               std::size_t capacity) {
  std::string out(capacity + 1, '\0');  // one spare byte: a too-long output is seen, not cut
  if (coding == detail::ContentCoding::kGzip) {
    z_stream z{};
    if (inflateInit2(&z, 15 + 16) != Z_OK) return std::nullopt;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&z, Z_FINISH);
    const bool ok = rc == Z_STREAM_END && z.avail_in == 0;
    out.resize(out.size() - z.avail_out);
    inflateEnd(&z);
    if (!ok) return std::nullopt;
  } else if (coding == detail::ContentCoding::kBrotli) {
    std::size_t n = out.size();
    if (BrotliDecoderDecompress(in.size(), reinterpret_cast<const std::uint8_t*>(in.data()), &n,
                                reinterpret_cast<std::uint8_t*>(out.data())) !=
        BROTLI_DECODER_RESULT_SUCCESS) {
      return std::nullopt;
    }
    out.resize(n);
  } else {
    const std::size_t n = ZSTD_decompress(out.data(), out.size(), in.data(), in.size());
    if (ZSTD_isError(n)) return std::nullopt;
    out.resize(n);
  }
  if (out.size() > capacity) return std::nullopt;
  return out;
}

}  // namespace surge::test
