#pragma once
// ResponseEncoding: the content coding of a response, decided and applied just before its head
// is written, for a route that compresses (CompressionPolicy).

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include <surge/context.hpp>

#include "encoding/accept_encoding.hpp"
#include "encoding/buffer_encoder.hpp"
#include "encoding/compression_policy.hpp"
#include "encoding/stream_encoder.hpp"
#include "memory/byte_buffer.hpp"
#include "metrics/counter.hpp"

namespace surge::detail {

class Exchange;
class ResponseEncoding;

/// What a request says about the coding of its answer: its Accept-Encoding lines, and whether
/// its Cache-Control says no-transform. One pass over the request's fields.
struct CodingRequest {
  AcceptEncoding accept;
  bool no_transform = false;
};
CodingRequest read_coding_request(const Request& request);

/// Gives a stream encoder back to its worker's pool when the response is over.
struct StreamEncoderReturn {
  ResponseEncoding* owner = nullptr;
  void operator()(StreamEncoder* encoder) const;
};
using PooledStreamEncoder = std::unique_ptr<StreamEncoder, StreamEncoderReturn>;

/// Per-worker counts of the work done per request, read by the metrics exporter (single writer:
/// the worker). Answers prepared at start-up and precompressed files cost nothing and are not
/// counted here.
struct EncodingStats {
  Counter encoded;    // responses the engine encoded
  Counter bytes_in;   // their body bytes before encoding
  Counter bytes_out;  // ... and after
  Counter failures;   // a library failed: the response went as it was (or a stream was cut)
};

/// One per worker: its encoders (library state kept warm) and the scratch buffer they write to.
/// Worker thread only.
class ResponseEncoding final {
 public:
  ResponseEncoding();
  ~ResponseEncoding();
  ResponseEncoding(const ResponseEncoding&) = delete;
  ResponseEncoding& operator=(const ResponseEncoding&) = delete;

  /// Decides the coding of `exchange`'s response under `policy` (RFC 9110 12.5.3; the rules are
  /// CompressionConfig's): adds Vary and Content-Encoding and weakens a strong ETag as needed. A
  /// body of bytes is compressed in place. For a streamed body the stream becomes one of
  /// unknown length and the encoder the session passes its pieces through is returned; null
  /// when the stream goes as it is. Files are left to their handler (precompressed siblings).
  PooledStreamEncoder apply(const CompressionPolicy& policy, Exchange& exchange);

  /// A streamed piece through `encoder`, then framed by the caller: the bytes to write, valid
  /// until the next call. Empty when the encoder produced nothing (or failed: *failed is set).
  std::string_view encode_piece(StreamEncoder& encoder, std::string_view piece, bool& failed);
  /// The end of an encoded stream (its trailer bytes), valid until the next call.
  std::string_view finish(StreamEncoder& encoder, bool& failed);

  const EncodingStats& stats() const { return stats_; }

 private:
  friend struct StreamEncoderReturn;
  BufferEncoder& buffer_encoder(const CodingLevels& levels);
  void reuse_scratch();
  void give_back(StreamEncoder* encoder);

  std::vector<std::pair<CodingLevels, std::unique_ptr<BufferEncoder>>> buffer_encoders_;
  std::vector<std::unique_ptr<StreamEncoder>> idle_;  // at most kIdleEncoders
  ByteBuffer scratch_;
  EncodingStats stats_;
};

}  // namespace surge::detail
