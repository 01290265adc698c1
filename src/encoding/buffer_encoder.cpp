#include "encoding/buffer_encoder.hpp"

#include <algorithm>
#include <brotli/encode.h>
#include <cstdint>
#include <libdeflate.h>
#include <new>
#include <stdexcept>
#include <zstd.h>

namespace surge::detail {
namespace {

// The header's scales. zstd stops at 19: levels 20..22 ("ultra") need windows of up to 128 MiB
// per context, too much for one worker's encoder.
int clamp_level(ContentCoding coding, int level) {
  switch (coding) {
    case ContentCoding::kGzip:
      return std::clamp(level, 1, 12);
    case ContentCoding::kBrotli:
      return std::clamp(level, BROTLI_MIN_QUALITY, BROTLI_MAX_QUALITY);
    case ContentCoding::kZstd:
    case ContentCoding::kIdentity:
      break;
  }
  return std::clamp(level, 1, 19);
}

}  // namespace

// Each function compresses straight into `out` at the library's worst-case bound and commits
// only on success, so a failure leaves `out` as it was.
struct BufferEncoder::State {
  libdeflate_compressor* deflate = nullptr;  // at levels_.gzip, made on first use
  ZSTD_CCtx* zstd = nullptr;                 // made on first use; the level is given per call

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    if (deflate != nullptr) libdeflate_free_compressor(deflate);
    ZSTD_freeCCtx(zstd);
  }

  bool gzip(int level, std::string_view in, ByteBuffer& out) {
    if (deflate == nullptr) deflate = libdeflate_alloc_compressor(level);
    if (deflate == nullptr) return false;
    const std::size_t bound = libdeflate_gzip_compress_bound(deflate, in.size());
    char* dst = out.prepare(bound);
    const std::size_t n = libdeflate_gzip_compress(deflate, in.data(), in.size(), dst, bound);
    if (n == 0) return false;
    out.commit(n);
    return true;
  }

  // BrotliEncoderCompress builds and frees a whole encoder inside every call (its hash tables,
  // ring buffer and block storage): brotli allocates per body whatever we keep here.
  static bool brotli(int quality, std::string_view in, ByteBuffer& out) {
    const std::size_t bound = BrotliEncoderMaxCompressedSize(in.size());
    if (bound == 0) return false;  // the size overflows
    auto* dst = reinterpret_cast<std::uint8_t*>(out.prepare(bound));
    std::size_t n = bound;
    if (!BrotliEncoderCompress(quality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, in.size(),
                               reinterpret_cast<const std::uint8_t*>(in.data()), &n, dst)) {
      return false;
    }
    out.commit(n);
    return true;
  }

  bool zstd_frame(int level, std::string_view in, ByteBuffer& out) {
    if (zstd == nullptr) zstd = ZSTD_createCCtx();
    if (zstd == nullptr) return false;
    const std::size_t bound = ZSTD_compressBound(in.size());
    char* dst = out.prepare(bound);
    const std::size_t n = ZSTD_compressCCtx(zstd, dst, bound, in.data(), in.size(), level);
    if (ZSTD_isError(n)) return false;
    out.commit(n);
    return true;
  }
};

BufferEncoder::BufferEncoder(CodingLevels levels)
    : levels_(levels), state_(std::make_unique<State>()) {}

BufferEncoder::~BufferEncoder() = default;

bool BufferEncoder::encode(ContentCoding coding, std::string_view in, ByteBuffer& out) {
  // An empty view may carry a null pointer; the libraries are not all documented to accept one.
  if (in.empty()) in = std::string_view("", 0);
  const int level = clamp_level(coding, levels_.of(coding));
  // ByteBuffer grows with operator new: running out of memory there is the same "send identity"
  // as the library running out, not an exception on the response path.
  try {
    switch (coding) {
      case ContentCoding::kGzip:
        return state_->gzip(level, in, out);
      case ContentCoding::kBrotli:
        return State::brotli(level, in, out);
      case ContentCoding::kZstd:
        return state_->zstd_frame(level, in, out);
      case ContentCoding::kIdentity:
        break;
    }
  } catch (const std::bad_alloc&) {
  }
  return false;
}

std::string compress_whole(ContentCoding coding, int level, std::string_view in) {
  if (coding == ContentCoding::kIdentity) return std::string(in);
  BufferEncoder encoder(CodingLevels{level, level, level});
  ByteBuffer out;
  if (!encoder.encode(coding, in, out)) {
    throw std::runtime_error("compressing " + std::to_string(in.size()) + " bytes with " +
                             std::string(coding_name(coding)) + " failed");
  }
  return std::string(out.view());
}

}  // namespace surge::detail
