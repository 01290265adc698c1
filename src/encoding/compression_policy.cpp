#include "encoding/compression_policy.hpp"

#include <algorithm>
#include <stdexcept>

#include "http/grammar.hpp"

namespace surge::detail {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

void check_level(int level, int low, int high, const char* field) {
  if (level < low || level > high) {
    throw std::invalid_argument(std::string(field) + ": expected " + std::to_string(low) + ".." +
                                std::to_string(high));
  }
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

}  // namespace

std::string_view media_type(std::string_view content_type) {
  return trim_ows(content_type.substr(0, content_type.find(';')));
}

CompressionPolicy::CompressionPolicy(const CompressionConfig& config)
    : min_length_(config.min_length),
      max_length_(config.max_length),
      precompressed_(config.precompressed),
      file_cache_bytes_(config.file_cache_bytes) {
  for (std::size_t i = 0; i < config.encodings.size(); ++i) {
    const auto coding = coding_from_name(config.encodings[i]);
    if (!coding || *coding == ContentCoding::kIdentity) {
      throw std::invalid_argument("encodings/" + std::to_string(i) +
                                  ": expected \"zstd\", \"br\" or \"gzip\"");
    }
    offer_.add(*coding);
  }
  for (std::size_t i = 0; i < config.types.size(); ++i) {
    const std::string type = lower(trim_ows(config.types[i]));
    const std::size_t slash = type.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == type.size() ||
        !is_token(std::string_view(type).substr(0, slash)) ||
        !(type.substr(slash + 1) == "*" || is_token(std::string_view(type).substr(slash + 1)))) {
      throw std::invalid_argument("types/" + std::to_string(i) +
                                  ": expected a media type such as text/html or text/*");
    }
    if (type.substr(slash + 1) == "*") {
      type_prefixes_.push_back(type.substr(0, slash + 1));
    } else {
      exact_types_.push_back(type);
    }
  }
  check_level(config.gzip_level, 1, 9, "gzip_level");
  check_level(config.brotli_level, 0, 11, "brotli_level");
  check_level(config.zstd_level, 1, 19, "zstd_level");
  levels_ = {config.gzip_level, config.brotli_level, config.zstd_level};
  if (min_length_ > max_length_) throw std::invalid_argument("min_length: more than max_length");
}

bool CompressionPolicy::compresses_type(std::string_view content_type) const {
  const std::string_view type = media_type(content_type);
  if (type.empty()) return false;
  return std::any_of(exact_types_.begin(), exact_types_.end(),
                     [&](const std::string& t) { return iequals(t, type); }) ||
         std::any_of(type_prefixes_.begin(), type_prefixes_.end(), [&](const std::string& p) {
           return starts_with_ci(type, p) && type.size() > p.size();
         });
}

}  // namespace surge::detail
