#include "handlers/mime_types.hpp"

#include <string_view>
#include <utility>

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

TEST(MimeTypes, KnowsTheCommonWebTypes) {
  const std::pair<std::string_view, std::string_view> kCases[] = {
      {"index.html", "text/html; charset=utf-8"},
      {"old.htm", "text/html; charset=utf-8"},
      {"site.css", "text/css; charset=utf-8"},
      {"app.js", "text/javascript; charset=utf-8"},
      {"module.mjs", "text/javascript; charset=utf-8"},
      {"data.json", "application/json; charset=utf-8"},
      {"app.js.map", "application/json; charset=utf-8"},
      {"notes.txt", "text/plain; charset=utf-8"},
      {"feed.xml", "application/xml; charset=utf-8"},
      {"logo.svg", "image/svg+xml; charset=utf-8"},
      {"table.csv", "text/csv; charset=utf-8"},
      {"README.md", "text/markdown; charset=utf-8"},
      {"a.png", "image/png"},
      {"a.jpg", "image/jpeg"},
      {"a.jpeg", "image/jpeg"},
      {"a.gif", "image/gif"},
      {"a.webp", "image/webp"},
      {"a.avif", "image/avif"},
      {"favicon.ico", "image/x-icon"},
      {"f.woff", "font/woff"},
      {"f.woff2", "font/woff2"},
      {"f.ttf", "font/ttf"},
      {"f.otf", "font/otf"},
      {"doc.pdf", "application/pdf"},
      {"app.wasm", "application/wasm"},
      {"v.mp4", "video/mp4"},
      {"v.webm", "video/webm"},
      {"s.mp3", "audio/mpeg"},
      {"s.ogg", "audio/ogg"},
      {"a.zip", "application/zip"},
      {"a.gz", "application/gzip"},
      {"a.tar", "application/x-tar"},
      {"site.webmanifest", "application/manifest+json; charset=utf-8"},
  };
  for (const auto& [name, type] : kCases)
    EXPECT_EQ(mime_type_for(name), type) << name;
}

TEST(MimeTypes, ComparesExtensionsCaseInsensitively) {
  EXPECT_EQ(mime_type_for("SITE.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(mime_type_for("Photo.JpG"), "image/jpeg");
}

TEST(MimeTypes, UsesOnlyTheLastExtensionOfTheLastComponent) {
  EXPECT_EQ(mime_type_for("backup.tar.gz"), "application/gzip");
  EXPECT_EQ(mime_type_for("css/site.css"), "text/css; charset=utf-8");
  EXPECT_EQ(mime_type_for("theme.css/README"), kDefaultMimeType);
  EXPECT_EQ(mime_type_for("dir.d/file"), kDefaultMimeType);
}

TEST(MimeTypes, UnknownOrMissingExtensionIsOctetStream) {
  EXPECT_EQ(kDefaultMimeType, "application/octet-stream");
  for (std::string_view name : {"", "README", "a.", "file.unknownext", ".htaccess", "dir/.css",
                                "a.thisextensionistoolong", "a.c\xc3\xa9ss"}) {
    EXPECT_EQ(mime_type_for(name), kDefaultMimeType) << name;
  }
}

}  // namespace
}  // namespace surge::detail
