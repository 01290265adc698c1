#pragma once
// StreamEncoder: compresses a body piece by piece, each piece flushed (zlib, brotli, zstd streams).

#include <memory>
#include <string_view>

#include "encoding/content_coding.hpp"
#include "memory/byte_buffer.hpp"

namespace surge::detail {

/// One streamed body's compressor. Every write() flushes, so what the client has received always
/// decodes to everything written so far (a proxied event stream or a slow producer is not held
/// back by the compressor). Reusable: start() begins a new body and keeps the library's state,
/// so a worker's pooled encoders stop allocating once warm. Not thread-safe.
class StreamEncoder final {
 public:
  StreamEncoder();
  ~StreamEncoder();
  StreamEncoder(const StreamEncoder&) = delete;
  StreamEncoder& operator=(const StreamEncoder&) = delete;

  /// Begins a body in `coding` (not kIdentity) at `level`. false when the library cannot
  /// (out of memory): the encoder is then unusable until the next successful start().
  bool start(ContentCoding coding, int level);
  /// Appends `piece` compressed and flushed to `out`. false on a library failure.
  bool write(std::string_view piece, ByteBuffer& out);
  /// Appends the end of the compressed body (the gzip trailer, brotli's last block, zstd's
  /// epilogue). false on a library failure.
  bool finish(ByteBuffer& out);

  ContentCoding coding() const { return coding_; }

 private:
  struct State;
  ContentCoding coding_ = ContentCoding::kIdentity;
  int level_ = 0;
  std::unique_ptr<State> state_;
};

}  // namespace surge::detail
