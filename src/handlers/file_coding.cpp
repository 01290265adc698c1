#include "handlers/file_coding.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <unistd.h>
#include <utility>

#include "encoding/buffer_encoder.hpp"
#include "http/response_encoding.hpp"

namespace surge::detail {
namespace {

CodingOffer without(const CodingOffer& offer, ContentCoding coding) {
  CodingOffer rest;
  for (std::uint8_t i = 0; i < offer.count; ++i) {
    if (offer.order[i] != coding) rest.add(offer.order[i]);
  }
  return rest;
}

// false on an error, or when the file ends before the size fstat gave (it is being written to:
// identity it is).
bool read_whole(int fd, std::uint64_t size, std::string& out) {
  out.resize(size);
  std::uint64_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, out.data() + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::uint64_t>(n);
  }
  return true;
}

}  // namespace

FileCodingRequest read_file_coding_request(const Request& request) {
  const CodingRequest wants = read_coding_request(request);
  FileCodingRequest out;
  out.accept = wants.accept;
  out.identity_only = wants.no_transform || (request.method() == Method::kGet && request.header("Range"));
  return out;
}

// choose() picks the best; without it, the next best; and so on until only identity is left.
CodingRanking rank_codings(const AcceptEncoding& accept, const CodingOffer& offer) {
  CodingRanking ranking;
  CodingOffer rest = offer;
  while (ranking.count < ranking.order.size()) {
    const ContentCoding best = accept.choose(rest);
    if (best == ContentCoding::kIdentity) break;
    ranking.order[ranking.count++] = best;
    rest = without(rest, best);
  }
  return ranking;
}

std::string_view sibling_suffix(ContentCoding coding) {
  switch (coding) {
    case ContentCoding::kGzip:
      return ".gz";
    case ContentCoding::kBrotli:
      return ".br";
    case ContentCoding::kZstd:
      return ".zst";
    case ContentCoding::kIdentity:
      break;
  }
  return "";
}

void DerivedEtag::append(std::string_view piece) {
  const std::size_t n = std::min(piece.size(), sizeof text_ - size_);
  std::memcpy(text_ + size_, piece.data(), n);
  size_ += n;
}

DerivedEtag DerivedEtag::weak(std::string_view strong) {
  DerivedEtag tag;
  tag.append("W/");
  tag.append(strong);
  return tag;
}

DerivedEtag DerivedEtag::of_sibling(std::string_view strong, ContentCoding coding) {
  DerivedEtag tag;
  // strong is a quoted string: the name goes before its closing quote.
  tag.append(strong.substr(0, strong.empty() ? 0 : strong.size() - 1));
  tag.append("-");
  tag.append(coding_name(coding));
  tag.append("\"");
  return tag;
}

// compress_whole throws, and memory may run out: neither may leave the request path as an
// exception.
const std::string* coded_copy(FileVariantCache& cache, const FileVariantKey& key, int level, int fd,
                              std::string& scratch) noexcept {
  if (const std::string* hit = cache.find(key)) return hit;
  try {
    std::string plain;
    if (!read_whole(fd, key.size, plain)) return nullptr;
    scratch = compress_whole(key.coding, level, plain);
    if (const std::string* stored = cache.insert(key, std::move(scratch))) return stored;
    return &scratch;
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace surge::detail
