#pragma once
// BufferEncoder: compresses a whole body at once (libdeflate for gzip, libbrotlienc, libzstd).

#include <memory>
#include <string>
#include <string_view>

#include "encoding/content_coding.hpp"
#include "memory/byte_buffer.hpp"

namespace surge::detail {

/// Compresses whole buffers with one level per coding. Holds each library's compressor state once
/// created (libdeflate's and zstd's contexts are reused; brotli's one-shot call has no reusable
/// state), so a warm encoder does not allocate for gzip or zstd. One per worker: not thread-safe.
class BufferEncoder final {
 public:
  explicit BufferEncoder(CodingLevels levels);
  ~BufferEncoder();
  BufferEncoder(const BufferEncoder&) = delete;
  BufferEncoder& operator=(const BufferEncoder&) = delete;

  /// Appends `in` compressed with `coding` (not kIdentity) to `out`. false, with `out` as it was,
  /// when the library fails (out of memory): the caller sends identity.
  bool encode(ContentCoding coding, std::string_view in, ByteBuffer& out);

  const CodingLevels& levels() const { return levels_; }

 private:
  struct State;
  CodingLevels levels_;
  std::unique_ptr<State> state_;
};

/// `in` compressed with `coding` at `level`, for start-up work (answers prepared once). Throws
/// std::runtime_error when the library fails.
std::string compress_whole(ContentCoding coding, int level, std::string_view in);

}  // namespace surge::detail
