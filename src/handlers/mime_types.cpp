#include "handlers/mime_types.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

namespace surge::detail {
namespace {

struct MimeEntry {
  std::string_view extension;  // lower case, without the dot
  std::string_view type;
};

// Sorted by extension (checked below) for a binary search. The types follow nginx's mime.types
// except where a later standard settled the question: text/javascript (RFC 9239), font/* (RFC
// 8081), application/yaml (RFC 9512). Every type a browser decodes as text carries a charset so
// it never guesses; for JSON the parameter has no effect on conforming readers (RFC 8259 11) but
// keeps older ones from guessing. Compressed variants that would need Content-Encoding (.svgz)
// are deliberately absent: they are served as opaque bytes.
constexpr std::array kTable = {
    MimeEntry{"7z", "application/x-7z-compressed"},
    MimeEntry{"apng", "image/apng"},
    MimeEntry{"atom", "application/atom+xml; charset=utf-8"},
    MimeEntry{"avif", "image/avif"},
    MimeEntry{"bmp", "image/bmp"},
    MimeEntry{"bz2", "application/x-bzip2"},
    MimeEntry{"css", "text/css; charset=utf-8"},
    MimeEntry{"csv", "text/csv; charset=utf-8"},
    MimeEntry{"eot", "application/vnd.ms-fontobject"},
    MimeEntry{"epub", "application/epub+zip"},
    MimeEntry{"flac", "audio/flac"},
    MimeEntry{"gif", "image/gif"},
    MimeEntry{"gz", "application/gzip"},
    MimeEntry{"htm", "text/html; charset=utf-8"},
    MimeEntry{"html", "text/html; charset=utf-8"},
    MimeEntry{"ico", "image/x-icon"},
    MimeEntry{"ics", "text/calendar; charset=utf-8"},
    MimeEntry{"jpeg", "image/jpeg"},
    MimeEntry{"jpg", "image/jpeg"},
    MimeEntry{"js", "text/javascript; charset=utf-8"},
    MimeEntry{"json", "application/json; charset=utf-8"},
    MimeEntry{"jsonld", "application/ld+json; charset=utf-8"},
    MimeEntry{"jxl", "image/jxl"},
    MimeEntry{"m3u8", "application/vnd.apple.mpegurl"},
    MimeEntry{"m4a", "audio/mp4"},
    MimeEntry{"map", "application/json; charset=utf-8"},
    MimeEntry{"md", "text/markdown; charset=utf-8"},
    MimeEntry{"mjs", "text/javascript; charset=utf-8"},
    MimeEntry{"mov", "video/quicktime"},
    MimeEntry{"mp3", "audio/mpeg"},
    MimeEntry{"mp4", "video/mp4"},
    MimeEntry{"oga", "audio/ogg"},
    MimeEntry{"ogg", "audio/ogg"},
    MimeEntry{"ogv", "video/ogg"},
    MimeEntry{"opus", "audio/ogg"},
    MimeEntry{"otf", "font/otf"},
    MimeEntry{"pdf", "application/pdf"},
    MimeEntry{"png", "image/png"},
    MimeEntry{"rss", "application/rss+xml; charset=utf-8"},
    MimeEntry{"svg", "image/svg+xml; charset=utf-8"},
    MimeEntry{"tar", "application/x-tar"},
    MimeEntry{"tgz", "application/gzip"},
    MimeEntry{"tif", "image/tiff"},
    MimeEntry{"tiff", "image/tiff"},
    MimeEntry{"ttf", "font/ttf"},
    MimeEntry{"txt", "text/plain; charset=utf-8"},
    MimeEntry{"wasm", "application/wasm"},
    MimeEntry{"wav", "audio/wav"},
    MimeEntry{"webm", "video/webm"},
    MimeEntry{"webmanifest", "application/manifest+json; charset=utf-8"},
    MimeEntry{"webp", "image/webp"},
    MimeEntry{"woff", "font/woff"},
    MimeEntry{"woff2", "font/woff2"},
    MimeEntry{"xhtml", "application/xhtml+xml; charset=utf-8"},
    MimeEntry{"xml", "application/xml; charset=utf-8"},
    MimeEntry{"xz", "application/x-xz"},
    MimeEntry{"yaml", "application/yaml; charset=utf-8"},
    MimeEntry{"yml", "application/yaml; charset=utf-8"},
    MimeEntry{"zip", "application/zip"},
    MimeEntry{"zst", "application/zstd"},
};

constexpr bool by_extension(const MimeEntry& a, const MimeEntry& b) {
  return a.extension < b.extension;
}
static_assert(std::is_sorted(kTable.begin(), kTable.end(), by_extension),
              "kTable must stay sorted by extension");

// Longer than any extension in the table: a longer one cannot match.
constexpr std::size_t kMaxExtension = 16;

}  // namespace

std::string_view mime_type_for(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return kDefaultMimeType;
  const std::string_view extension = name.substr(dot + 1);
  if (extension.empty() || extension.size() > kMaxExtension) return kDefaultMimeType;

  char lower[kMaxExtension];
  for (std::size_t i = 0; i < extension.size(); ++i) {
    const char c = extension[i];
    lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
  }
  const MimeEntry key{std::string_view(lower, extension.size()), {}};
  const auto* it = std::lower_bound(kTable.begin(), kTable.end(), key, by_extension);
  if (it == kTable.end() || it->extension != key.extension) return kDefaultMimeType;
  return it->type;
}

}  // namespace surge::detail
