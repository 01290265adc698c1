#pragma once
// The content coding of a file's answer: what the request allows, the codings ranked, the
// entity-tags of coded representations (all pure: no I/O, no allocation), and a file's coded copy.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <surge/context.hpp>

#include "encoding/accept_encoding.hpp"
#include "encoding/content_coding.hpp"
#include "handlers/file_variant_cache.hpp"

namespace surge::detail {

/// What a request says about the coding of the file it asks for.
struct FileCodingRequest {
  AcceptEncoding accept;
  // Only identity will do: the request says Cache-Control: no-transform (RFC 9110 7.7), or it
  // is a GET with a Range, whose part is cut from the identity bytes (no 206 of a coded body).
  bool identity_only = false;
};

FileCodingRequest read_file_coding_request(const Request& request);

/// Codings best first; identity is never listed (it is what is left when none fits).
struct CodingRanking {
  std::array<ContentCoding, kCodingCount - 1> order{};
  std::uint8_t count = 0;
};

/// The codings of `offer` that `accept` takes, in the order AcceptEncoding::choose() would pick
/// them: higher qvalue first, ties in the offer's order. Empty when Accept-Encoding is absent.
CodingRanking rank_codings(const AcceptEncoding& accept, const CodingOffer& offer);

/// The suffix of a file's precompressed sibling in `coding` (nginx's gzip_static and the usual
/// build tools): ".gz", ".br", ".zst"; "" for identity.
std::string_view sibling_suffix(ContentCoding coding);

/// An entity-tag made from a file's strong one (Validators::etag()), formatted on the stack.
class DerivedEtag final {
 public:
  /// W/"...": a coding of the same bytes made per request, whose bytes may differ from one
  /// compression to the next, so it is never strong (RFC 9110 8.8.3).
  static DerivedEtag weak(std::string_view strong);
  /// "...-br": a precompressed sibling's own tag with the coding's name inside the quotes, so
  /// that the siblings of one file never share a tag, even at equal sizes and times.
  static DerivedEtag of_sibling(std::string_view strong, ContentCoding coding);

  std::string_view value() const { return {text_, size_}; }

 private:
  DerivedEtag() = default;
  void append(std::string_view piece);

  char text_[48] = {};  // a Validators tag (35 bytes at most) with "W/" or "-identity"
  std::size_t size_ = 0;
};

/// key's copy from `cache`; on a miss, the file read from `fd` (pread: its offset is left alone)
/// and compressed in key.coding at `level`, stored in `cache` when it fits there, else left in
/// `scratch`. Null when it cannot be had (a read error, a file shorter than key.size, a library
/// failure, out of memory): the caller sends identity. Blocks on the read; never throws.
const std::string* coded_copy(FileVariantCache& cache, const FileVariantKey& key, int level, int fd,
                              std::string& scratch) noexcept;

}  // namespace surge::detail
