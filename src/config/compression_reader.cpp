#include "config/compression_reader.hpp"

#include <stdexcept>
#include <string>

#include "encoding/compression_policy.hpp"

namespace surge::detail {
namespace {

constexpr IntRange kLength{0, 1LL << 40};
constexpr IntRange kCacheBytes{0, 1LL << 36};

}  // namespace

void read_compression(ObjectReader& r, CompressionConfig& c) {
  c.enabled = true;
  r.boolean("enabled", c.enabled);
  r.strings("encodings", c.encodings);
  r.strings("types", c.types);
  r.integer("min_length", c.min_length, kLength);
  r.integer("max_length", c.max_length, kLength);
  r.integer("gzip_level", c.gzip_level, IntRange{1, 9});
  r.integer("brotli_level", c.brotli_level, IntRange{0, 11});
  r.integer("zstd_level", c.zstd_level, IntRange{1, 19});
  r.boolean("precompressed", c.precompressed);
  r.integer("file_cache_bytes", c.file_cache_bytes, kCacheBytes);
  // The policy the router freezes from it checks the rest; its messages begin with the key.
  try {
    const CompressionPolicy policy(c);
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    const std::size_t colon = what.find(':');
    r.fail(what.substr(0, colon), what.substr(colon == std::string::npos ? 0 : colon + 2));
  }
}

}  // namespace surge::detail
