#include "encoding/stream_encoder.hpp"

#include <algorithm>
#include <brotli/encode.h>
#include <climits>
#include <cstdint>
#include <new>
#include <zlib.h>
#include <zstd.h>

namespace surge::detail {
namespace {

// zlib counts in uInt: a larger piece is fed in slices.
constexpr std::size_t kMaxSlice = UINT_MAX;
// Output room asked of `out` beyond the library's bound, so a flush marker or trailer never
// finds it full (zlib wants more than 6 bytes free for a sync flush).
constexpr std::size_t kSlack = 64;

int clamp_level(ContentCoding coding, int level) {
  switch (coding) {
    case ContentCoding::kGzip:
      return std::clamp(level, 1, 9);
    case ContentCoding::kBrotli:
      return std::clamp(level, BROTLI_MIN_QUALITY, BROTLI_MAX_QUALITY);
    case ContentCoding::kZstd:
    case ContentCoding::kIdentity:
      break;
  }
  return std::clamp(level, 1, 19);  // zstd's "ultra" levels are not for one worker's stream
}

}  // namespace

struct StreamEncoder::State {
  z_stream zlib{};
  bool zlib_ready = false;  // deflateInit2 succeeded: deflateEnd is owed
  int zlib_level = 0;
  BrotliEncoderState* brotli = nullptr;
  ZSTD_CCtx* zstd = nullptr;
  bool open = false;  // between a successful start() and finish() or any failure

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    if (zlib_ready) deflateEnd(&zlib);
    drop_brotli();
    ZSTD_freeCCtx(zstd);
  }

  void drop_brotli() {
    if (brotli != nullptr) BrotliEncoderDestroyInstance(brotli);
    brotli = nullptr;
  }

  bool start_gzip(int level) {
    // A reset keeps zlib's 256 KiB of windows and hash chains; should it or the level change
    // fail (older zlibs refuse deflateParams in some states), a fresh stream does the same job.
    if (zlib_ready &&
        (deflateReset(&zlib) != Z_OK ||
         (level != zlib_level && deflateParams(&zlib, level, Z_DEFAULT_STRATEGY) != Z_OK))) {
      deflateEnd(&zlib);
      zlib_ready = false;
    }
    if (!zlib_ready) {
      zlib = z_stream{};
      if (deflateInit2(&zlib, level, Z_DEFLATED, 15 + 16 /* gzip wrapper */, 8,
                       Z_DEFAULT_STRATEGY) != Z_OK) {
        return false;
      }
      zlib_ready = true;
    }
    zlib_level = level;
    return true;
  }

  // Brotli's encoder has no reset: a new body needs a new instance.
  bool start_brotli(int quality) {
    drop_brotli();
    brotli = BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
    return brotli != nullptr &&
           BrotliEncoderSetParameter(brotli, BROTLI_PARAM_QUALITY,
                                     static_cast<std::uint32_t>(quality)) &&
           BrotliEncoderSetParameter(brotli, BROTLI_PARAM_LGWIN, BROTLI_DEFAULT_WINDOW) &&
           BrotliEncoderSetParameter(brotli, BROTLI_PARAM_MODE, BROTLI_MODE_GENERIC);
  }

  bool start_zstd(int level) {
    if (zstd == nullptr) zstd = ZSTD_createCCtx();
    return zstd != nullptr && !ZSTD_isError(ZSTD_CCtx_reset(zstd, ZSTD_reset_session_only)) &&
           !ZSTD_isError(ZSTD_CCtx_setParameter(zstd, ZSTD_c_compressionLevel, level));
  }

  // `flush` is Z_SYNC_FLUSH or Z_FINISH; it is applied with the last slice of `in`.
  bool pump_gzip(std::string_view in, int flush, ByteBuffer& out) {
    const std::size_t room = deflateBound(&zlib, in.size()) + kSlack;
    do {
      const std::size_t slice = std::min(in.size(), kMaxSlice);
      zlib.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      zlib.avail_in = static_cast<uInt>(slice);
      in.remove_prefix(slice);
      const int mode = in.empty() ? flush : Z_NO_FLUSH;
      for (;;) {
        const std::size_t free = std::min(out.writable(room), kMaxSlice);
        zlib.next_out = reinterpret_cast<Bytef*>(out.data() + out.size());
        zlib.avail_out = static_cast<uInt>(free);
        const int rc = deflate(&zlib, mode);
        out.commit(free - zlib.avail_out);
        if (rc == Z_STREAM_END) return true;
        // Z_BUF_ERROR is zlib's "nothing left to do" after a flush that just filled the output.
        const bool idle = rc == Z_BUF_ERROR && mode != Z_FINISH && zlib.avail_in == 0;
        if (rc != Z_OK && !idle) return false;
        if (mode != Z_FINISH && zlib.avail_in == 0 && (zlib.avail_out != 0 || idle)) break;
      }
    } while (!in.empty());
    return true;
  }

  bool pump_brotli(std::string_view in, BrotliEncoderOperation op, ByteBuffer& out) {
    const std::size_t room = BrotliEncoderMaxCompressedSize(in.size()) + kSlack;
    std::size_t avail_in = in.size();
    const auto* next_in = reinterpret_cast<const std::uint8_t*>(in.data());
    for (;;) {
      const std::size_t free = out.writable(room);
      std::size_t avail_out = free;
      auto* next_out = reinterpret_cast<std::uint8_t*>(out.data() + out.size());
      if (!BrotliEncoderCompressStream(brotli, op, &avail_in, &next_in, &avail_out, &next_out,
                                       nullptr)) {
        return false;
      }
      out.commit(free - avail_out);
      const bool done = op == BROTLI_OPERATION_FINISH
                            ? BrotliEncoderIsFinished(brotli)
                            : avail_in == 0 && !BrotliEncoderHasMoreOutput(brotli);
      if (done) return true;
    }
  }

  bool pump_zstd(std::string_view in, ZSTD_EndDirective end, ByteBuffer& out) {
    const std::size_t room = ZSTD_compressBound(in.size()) + kSlack;
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    for (;;) {
      const std::size_t free = out.writable(room);
      ZSTD_outBuffer output{out.data() + out.size(), free, 0};
      const std::size_t left = ZSTD_compressStream2(zstd, &output, &input, end);
      if (ZSTD_isError(left)) return false;
      out.commit(output.pos);
      if (left == 0 && input.pos == input.size) return true;
    }
  }
};

StreamEncoder::StreamEncoder() : state_(std::make_unique<State>()) {}

StreamEncoder::~StreamEncoder() = default;

bool StreamEncoder::start(ContentCoding coding, int level) {
  level = clamp_level(coding, level);
  bool ok = false;
  switch (coding) {
    case ContentCoding::kGzip:
      ok = state_->start_gzip(level);
      break;
    case ContentCoding::kBrotli:
      ok = state_->start_brotli(level);
      break;
    case ContentCoding::kZstd:
      ok = state_->start_zstd(level);
      break;
    case ContentCoding::kIdentity:
      break;
  }
  state_->open = ok;
  coding_ = ok ? coding : ContentCoding::kIdentity;
  level_ = ok ? level : 0;
  return ok;
}

bool StreamEncoder::write(std::string_view piece, ByteBuffer& out) {
  if (!state_->open) return false;
  // A flush with no new input would still emit a marker (zlib's 5-byte empty block).
  if (piece.empty()) return true;
  bool ok = false;
  // ByteBuffer grows with operator new: out of memory is a failed write, as a library's is.
  try {
    switch (coding_) {
      case ContentCoding::kGzip:
        ok = state_->pump_gzip(piece, Z_SYNC_FLUSH, out);
        break;
      case ContentCoding::kBrotli:
        ok = state_->pump_brotli(piece, BROTLI_OPERATION_FLUSH, out);
        break;
      case ContentCoding::kZstd:
        ok = state_->pump_zstd(piece, ZSTD_e_flush, out);
        break;
      case ContentCoding::kIdentity:
        break;
    }
  } catch (const std::bad_alloc&) {
    ok = false;
  }
  state_->open = ok;
  return ok;
}

bool StreamEncoder::finish(ByteBuffer& out) {
  if (!state_->open) return false;
  state_->open = false;
  bool ok = false;
  try {
    switch (coding_) {
      case ContentCoding::kGzip:
        ok = state_->pump_gzip({}, Z_FINISH, out);
        break;
      case ContentCoding::kBrotli:
        ok = state_->pump_brotli({}, BROTLI_OPERATION_FINISH, out);
        break;
      case ContentCoding::kZstd:
        ok = state_->pump_zstd({}, ZSTD_e_end, out);
        break;
      case ContentCoding::kIdentity:
        break;
    }
  } catch (const std::bad_alloc&) {
    ok = false;
  }
  // Brotli's instance cannot serve another body; its buffers (several MiB at high qualities)
  // need not wait in a pooled encoder for the next start().
  state_->drop_brotli();
  return ok;
}

}  // namespace surge::detail
