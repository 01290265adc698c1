// StaticFiles with a route's compression: precompressed siblings, the per-worker cache of
// compressed copies, and Vary (the engine leaves file bodies to the handler).
#include <fcntl.h>
#include <filesystem>
#include <set>
#include <string>
#include <sys/stat.h>
#include <zlib.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "encoding/buffer_encoder.hpp"
#include "handlers/static_files.hpp"
#include "static_files_fixture.hpp"
#include "support/allocation_counter.hpp"

namespace surge::detail {
namespace {

using test::FakeExchange;

constexpr std::string_view kEtag = "\"c-17979cfe3d85cd15\"";  // a.txt's (see static_files_test)
constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";

std::string gunzip(std::string_view in) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return "<inflateInit2 failed>";
  std::string out;
  char buffer[4096];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - z.avail_out);
  }
  inflateEnd(&z);
  return rc == Z_STREAM_END ? out : "<not gzip>";
}

std::string accept(std::string_view codings) {
  return "Accept-Encoding: " + std::string(codings) + "\r\n";
}

class StaticFilesCompression : public test::StaticFilesFixture {
 protected:
  static CompressionConfig on() {
    CompressionConfig c;
    c.enabled = true;
    return c;
  }
  static CompressionConfig cached(std::uint64_t bytes) {
    CompressionConfig c = on();
    c.file_cache_bytes = bytes;
    return c;
  }
  StaticFiles files(const CompressionConfig& c, std::size_t workers = 1) const {
    return make({.root = root(), .compression = c, .workers = workers});
  }
  void set_mtime(std::string_view relative, std::int64_t seconds, long nanoseconds) const {
    const timespec times[2] = {{seconds, nanoseconds}, {seconds, nanoseconds}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (root() + "/" + std::string(relative)).c_str(), times, 0), 0);
  }
  // a.txt's siblings, each of its own size.
  void write_siblings() const {
    write_file("a.txt.gz", "GZ");
    write_file("a.txt.br", "BRO");
    write_file("a.txt.zst", "ZSTD");
  }
  static bool decided(FakeExchange& ex) { return ex.exchange().response().encoding_decided(); }
  static std::string_view all_headers(FakeExchange& ex) {
    return ex.exchange().response().extra_headers();
  }

  // 1000 bytes of text: above min_length, compresses well.
  static std::string big_text(char letter) { return std::string(1000, letter); }
};

// --- precompressed siblings -------------------------------------------------------------------

TEST_F(StaticFilesCompression, SiblingIsChosenByQvalues) {
  write_siblings();
  const StaticFiles f = files(on());
  auto ex = serve(f, "a.txt", accept("gzip;q=0.5, br;q=0.8, zstd;q=0.1"));
  EXPECT_EQ(ex->status(), 200);
  EXPECT_EQ(ex->header("Content-Encoding"), "br");
  EXPECT_EQ(file_body(*ex), "BRO");
  EXPECT_EQ(file_body(*serve(f, "a.txt", accept("gzip, br;q=0.9"))), "GZ");
  EXPECT_EQ(file_body(*serve(f, "a.txt", accept("*;q=0.2, zstd;q=0.3"))), "ZSTD");
}

TEST_F(StaticFilesCompression, EqualQvaluesGoInTheServersOrder) {
  write_siblings();
  // Default order: zstd, br, gzip.
  EXPECT_EQ(serve(files(on()), "a.txt", accept("gzip, br, zstd"))->header("Content-Encoding"),
            "zstd");
  CompressionConfig c = on();
  c.encodings = {"gzip", "br"};
  const StaticFiles f = files(c);
  EXPECT_EQ(serve(f, "a.txt", accept("br, gzip, zstd"))->header("Content-Encoding"), "gzip");
  // A coding the route does not offer is never served, sibling or not.
  auto ex = serve(f, "a.txt", accept("zstd"));
  EXPECT_FALSE(ex->header("Content-Encoding"));
  EXPECT_EQ(file_body(*ex), "hello world\n");
}

TEST_F(StaticFilesCompression, MissingSiblingFallsToTheNextCodingThenIdentity) {
  write_file("a.txt.gz", "GZ");
  const StaticFiles f = files(on());
  auto gz = serve(f, "a.txt", accept("br, zstd;q=0.9, gzip;q=0.5"));
  EXPECT_EQ(gz->header("Content-Encoding"), "gzip");
  EXPECT_EQ(file_body(*gz), "GZ");
  auto identity = serve(f, "a.txt", accept("br, zstd"));
  EXPECT_EQ(identity->status(), 200);
  EXPECT_FALSE(identity->header("Content-Encoding"));
  EXPECT_EQ(identity->header("ETag"), kEtag);
  EXPECT_EQ(identity->header("Vary"), "Accept-Encoding");
  EXPECT_EQ(file_body(*identity), "hello world\n");
}

TEST_F(StaticFilesCompression, SiblingCarriesTheOriginalsTypeAndItsOwnValidators) {
  // A real gzip sibling, as a build step would make it.
  write_file("a.txt.gz", compress_whole(ContentCoding::kGzip, 9, "hello world\n"));
  set_mtime("a.txt.gz", 1700000100, 0);
  auto ex = serve(files(on()), "a.txt", accept("gzip"));
  EXPECT_EQ(ex->status(), 200);
  EXPECT_EQ(ex->content_type(), kTextPlain);
  EXPECT_EQ(ex->header("Content-Encoding"), "gzip");
  EXPECT_EQ(ex->header("Vary"), "Accept-Encoding");
  EXPECT_EQ(ex->header("Last-Modified"), "Tue, 14 Nov 2023 22:15:00 GMT");
  EXPECT_THAT(*ex->header("ETag"), ::testing::StartsWith("\""));
  EXPECT_THAT(*ex->header("ETag"), ::testing::EndsWith("-gzip\""));
  EXPECT_NE(ex->header("ETag"), kEtag);
  EXPECT_FALSE(ex->header("Accept-Ranges"));  // ranges are of the identity bytes only
  EXPECT_TRUE(decided(*ex));
  for (std::string_view name : {"Vary", "ETag", "Content-Encoding", "Last-Modified"}) {
    EXPECT_EQ(ex->header_count(name), 1u) << name;
  }
  EXPECT_EQ(gunzip(file_body(*ex)), "hello world\n");
}

TEST_F(StaticFilesCompression, SiblingsHaveDistinctEtagsEvenAtEqualSizeAndTime) {
  for (std::string_view name : {"a.txt.gz", "a.txt.br", "a.txt.zst"}) {
    write_file(name, "same");
    set_mtime(name, 1700000000, 123456789);
  }
  const StaticFiles f = files(on());
  std::set<std::string> tags{std::string(kEtag)};
  for (std::string_view coding : {"gzip", "br", "zstd"}) {
    auto ex = serve(f, "a.txt", accept(coding));
    EXPECT_EQ(ex->header("Content-Encoding"), coding);
    EXPECT_TRUE(tags.insert(*ex->header("ETag")).second) << *ex->header("ETag");
  }
}

TEST_F(StaticFilesCompression, NotModifiedIsJudgedAgainstTheSiblingsEtag) {
  write_siblings();
  const StaticFiles f = files(on());
  const std::string br_tag = *serve(f, "a.txt", accept("br"))->header("ETag");
  auto not_modified = serve(f, "a.txt", accept("br") + "If-None-Match: " + br_tag + "\r\n");
  EXPECT_EQ(not_modified->status(), 304);
  EXPECT_EQ(not_modified->header("ETag"), br_tag);
  EXPECT_EQ(not_modified->header("Vary"), "Accept-Encoding");
  EXPECT_FALSE(not_modified->exchange().response().has_file_body());
  EXPECT_TRUE(decided(*not_modified));
  // The identity's tag does not match the sibling, nor the sibling's another coding.
  auto identity_tag =
      serve(f, "a.txt", accept("br") + "If-None-Match: " + std::string(kEtag) + "\r\n");
  EXPECT_EQ(identity_tag->status(), 200);
  EXPECT_EQ(identity_tag->header("Content-Encoding"), "br");
  auto other = serve(f, "a.txt", accept("gzip") + "If-None-Match: " + br_tag + "\r\n");
  EXPECT_EQ(other->status(), 200);
  EXPECT_EQ(other->header("Content-Encoding"), "gzip");
  // And the identity answer still matches its own tag.
  auto identity = serve(f, "a.txt", "If-None-Match: " + std::string(kEtag) + "\r\n");
  EXPECT_EQ(identity->status(), 304);
  EXPECT_EQ(identity->header("Vary"), "Accept-Encoding");
}

TEST_F(StaticFilesCompression, DirectoryIndexHasSiblingsToo) {
  write_file("index.html.gz", "GZ");
  write_file("docs/index.html.br", "BR");
  const StaticFiles f = files(on());
  auto home = serve(f, "", accept("gzip, br"));
  EXPECT_EQ(home->header("Content-Encoding"), "gzip");
  EXPECT_EQ(home->content_type(), "text/html; charset=utf-8");
  EXPECT_EQ(file_body(*home), "GZ");
  auto docs = serve(f, "docs/", accept("gzip, br"));
  EXPECT_EQ(docs->header("Content-Encoding"), "br");
  EXPECT_EQ(file_body(*docs), "BR");
}

TEST_F(StaticFilesCompression, PrecompressedOffIgnoresSiblings) {
  write_siblings();
  CompressionConfig c = on();
  c.precompressed = false;
  auto ex = serve(files(c), "a.txt", accept("gzip, br, zstd"));
  EXPECT_FALSE(ex->header("Content-Encoding"));
  EXPECT_EQ(ex->header("Vary"), "Accept-Encoding");
  EXPECT_EQ(file_body(*ex), "hello world\n");
}

TEST_F(StaticFilesCompression, SiblingThatIsADirectoryOrLeavesTheRootIsNotServed) {
  std::filesystem::create_directory(root() + "/a.txt.gz");
  std::filesystem::create_symlink("../outside/secret.txt", root() + "/a.txt.br");
  ::mkfifo((root() + "/a.txt.zst").c_str(), 0644);
  for (PathResolution resolution : {PathResolution::kAuto, PathResolution::kWalk}) {
    const StaticFiles f = make({.root = root(), .compression = on()}, resolution);
    for (std::string_view coding : {"gzip", "br", "zstd", "gzip, br, zstd"}) {
      auto ex = serve(f, "a.txt", accept(coding));
      EXPECT_EQ(ex->status(), 200) << coding;
      EXPECT_FALSE(ex->header("Content-Encoding")) << coding;
      EXPECT_EQ(file_body(*ex), "hello world\n") << coding;
    }
  }
}

TEST_F(StaticFilesCompression, SiblingThroughAnInRootSymlinkIsServedWithOpenat2) {
  write_file("real.gz", "GZ");
  std::filesystem::create_symlink("real.gz", root() + "/a.txt.gz");
  auto ex = serve(files(on()), "a.txt", accept("gzip"));
  EXPECT_EQ(ex->header("Content-Encoding"), "gzip");
  EXPECT_EQ(file_body(*ex), "GZ");
}

// --- when identity it must be -----------------------------------------------------------------

TEST_F(StaticFilesCompression, IdentityAnswersOfCompressibleTypesCarryVary) {
  const StaticFiles f = files(on());
  for (std::string_view headers :
       {"", "Accept-Encoding: identity\r\n", "Accept-Encoding: br\r\n"}) {
    auto ex = serve(f, "a.txt", headers);
    EXPECT_EQ(ex->status(), 200);
    EXPECT_FALSE(ex->header("Content-Encoding"));
    EXPECT_EQ(ex->header("ETag"), kEtag);
    EXPECT_EQ(ex->header("Accept-Ranges"), "bytes");
    EXPECT_EQ(ex->header("Vary"), "Accept-Encoding");
    EXPECT_EQ(ex->header_count("Vary"), 1u);
    EXPECT_TRUE(decided(*ex));
    EXPECT_EQ(file_body(*ex), "hello world\n");
  }
}

TEST_F(StaticFilesCompression, NonCompressibleTypeHasNoVaryAndNoCoding) {
  write_file("img.png", "\x89PNG");
  write_file("img.png.gz", "GZ");
  auto ex = serve(files(cached(1 << 20)), "img.png", accept("gzip"));
  EXPECT_EQ(ex->status(), 200);
  EXPECT_EQ(ex->content_type(), "image/png");
  EXPECT_FALSE(ex->header("Vary"));
  EXPECT_FALSE(ex->header("Content-Encoding"));
  EXPECT_FALSE(decided(*ex));
  EXPECT_EQ(file_body(*ex), "\x89PNG");
}

TEST_F(StaticFilesCompression, RangeIsServedFromTheIdentity) {
  write_siblings();
  write_file("big.txt", big_text('r'));
  const StaticFiles f = files(cached(1 << 20));
  for (std::string_view relative : {"a.txt", "big.txt"}) {
    auto ex = serve(f, relative, accept("gzip, br, zstd") + "Range: bytes=0-4\r\n");
    EXPECT_EQ(ex->status(), 206) << relative;
    EXPECT_FALSE(ex->header("Content-Encoding")) << relative;
    EXPECT_EQ(ex->header("Vary"), "Accept-Encoding") << relative;
    EXPECT_EQ(ex->header("Content-Range"), relative == "a.txt" ? "bytes 0-4/12" : "bytes 0-4/1000");
    EXPECT_EQ(file_body(*ex), relative == "a.txt" ? "hello" : "rrrrr");
  }
}

TEST_F(StaticFilesCompression, NoTransformIsServedAsItIs) {
  write_siblings();
  write_file("big.txt", big_text('n'));
  const StaticFiles f = files(cached(1 << 20));
  for (std::string_view relative : {"a.txt", "big.txt"}) {
    auto ex = serve(f, relative, accept("gzip") + "Cache-Control: max-age=0, no-transform\r\n");
    EXPECT_EQ(ex->status(), 200) << relative;
    EXPECT_FALSE(ex->header("Content-Encoding")) << relative;
    EXPECT_EQ(ex->header("Vary"), "Accept-Encoding") << relative;
    EXPECT_TRUE(ex->exchange().response().has_file_body()) << relative;
  }
}

TEST_F(StaticFilesCompression, HeadCarriesTheHeadersOfGet) {
  write_siblings();
  write_file("big.txt", big_text('h'));
  const StaticFiles f = files(cached(1 << 20));
  for (std::string_view relative : {"a.txt", "big.txt"}) {
    for (std::string_view codings : {"br", "gzip;q=0.5, zstd", "identity", "deflate"}) {
      auto get = serve(f, relative, accept(codings));
      auto head = serve(f, relative, accept(codings), "HEAD");
      EXPECT_EQ(head->status(), get->status()) << relative << " " << codings;
      EXPECT_EQ(head->content_type(), get->content_type());
      EXPECT_EQ(all_headers(*head), all_headers(*get)) << relative << " " << codings;
      EXPECT_EQ(head->body(), get->body());
      EXPECT_EQ(head->exchange().response().file_length(),
                get->exchange().response().file_length());
      EXPECT_TRUE(decided(*head));
    }
  }
}

TEST_F(StaticFilesCompression, CompressionOffIsTodaysBehaviour) {
  write_siblings();
  write_file("big.txt", big_text('o'));
  CompressionConfig disabled = cached(1 << 20);
  disabled.enabled = false;
  const StaticFiles plain = make();
  const StaticFiles off = files(disabled);
  for (std::string_view relative : {"a.txt", "big.txt", "index.html"}) {
    for (std::string_view headers :
         {std::string_view(""), std::string_view("Accept-Encoding: gzip, br, zstd\r\n"),
          std::string_view("Accept-Encoding: gzip\r\nRange: bytes=1-2\r\n")}) {
      auto want = serve(plain, relative, headers);
      auto got = serve(off, relative, headers);
      EXPECT_EQ(got->status(), want->status());
      EXPECT_EQ(got->content_type(), want->content_type());
      EXPECT_EQ(all_headers(*got), all_headers(*want)) << relative << " " << headers;
      EXPECT_FALSE(got->header("Vary"));
      EXPECT_FALSE(decided(*got));
      EXPECT_EQ(file_body(*got), file_body(*want));
    }
  }
}

// --- the cache of compressed copies -----------------------------------------------------------

TEST_F(StaticFilesCompression, FileWithoutSiblingIsCompressedWithAWeakEtag) {
  write_file("big.txt", big_text('a'));
  set_mtime("big.txt", 1700000000, 123456789);
  const StaticFiles f = files(cached(1 << 20));
  const std::string identity_tag = *serve(files(on()), "big.txt")->header("ETag");
  auto ex = serve(f, "big.txt", accept("gzip"));
  EXPECT_EQ(ex->status(), 200);
  EXPECT_EQ(ex->header("Content-Encoding"), "gzip");
  EXPECT_EQ(ex->content_type(), kTextPlain);
  EXPECT_EQ(ex->header("ETag"), "W/" + identity_tag);
  EXPECT_EQ(ex->header("Last-Modified"), "Tue, 14 Nov 2023 22:13:20 GMT");
  EXPECT_EQ(ex->header("Vary"), "Accept-Encoding");
  EXPECT_FALSE(ex->header("Accept-Ranges"));
  EXPECT_FALSE(ex->exchange().response().has_file_body());
  EXPECT_TRUE(decided(*ex));
  EXPECT_LT(ex->body().size(), 1000u);
  EXPECT_EQ(gunzip(ex->body()), big_text('a'));
}

TEST_F(StaticFilesCompression, SiblingComesBeforeTheCache) {
  write_file("big.txt", big_text('s'));
  write_file("big.txt.br", "BR");
  const StaticFiles f = files(cached(1 << 20));
  auto ex = serve(f, "big.txt", accept("gzip, br;q=0.5"));
  EXPECT_EQ(ex->header("Content-Encoding"), "br");
  EXPECT_EQ(file_body(*ex), "BR");
}

TEST_F(StaticFilesCompression, SecondRequestIsServedFromTheCacheUntilTheFileChanges) {
  write_file("big.txt", big_text('1'));
  set_mtime("big.txt", 1700000000, 5);
  const StaticFiles f = files(cached(1 << 20));
  EXPECT_EQ(gunzip(serve(f, "big.txt", accept("gzip"))->body()), big_text('1'));
  // Same size, same mtime: the copy made from the old content is what is served.
  write_file("big.txt", big_text('2'));
  set_mtime("big.txt", 1700000000, 5);
  EXPECT_EQ(gunzip(serve(f, "big.txt", accept("gzip"))->body()), big_text('1'));
  // A nanosecond later is another version.
  set_mtime("big.txt", 1700000000, 6);
  auto changed = serve(f, "big.txt", accept("gzip"));
  EXPECT_EQ(gunzip(changed->body()), big_text('2'));
  EXPECT_EQ(changed->header("ETag"), "W/\"3e8-17979cfe362a0006\"");
}

TEST_F(StaticFilesCompression, CachedCopyAnswers304ToEitherTag) {
  write_file("big.txt", big_text('c'));
  const StaticFiles f = files(cached(1 << 20));
  const std::string weak = *serve(f, "big.txt", accept("gzip"))->header("ETag");
  ASSERT_THAT(weak, ::testing::StartsWith("W/\""));
  for (const std::string& tag : {weak, weak.substr(2)}) {
    auto ex = serve(f, "big.txt", accept("gzip") + "If-None-Match: " + tag + "\r\n");
    EXPECT_EQ(ex->status(), 304) << tag;
    EXPECT_EQ(ex->header("ETag"), weak);
    EXPECT_EQ(ex->header("Vary"), "Accept-Encoding");
    EXPECT_TRUE(ex->body().empty());
  }
}

TEST_F(StaticFilesCompression, CacheEvictsAtItsBudget) {
  write_file("one.txt", big_text('1'));
  write_file("two.txt", big_text('2'));
  // Room for one copy, not two: each is charged its bytes and its path.
  const std::uint64_t charge =
      compress_whole(ContentCoding::kGzip, 1, big_text('1')).size() + std::string("one.txt").size();
  const StaticFiles f = files(cached(charge + charge / 2));
  EXPECT_EQ(gunzip(serve(f, "one.txt", accept("gzip"))->body()), big_text('1'));
  write_file("one.txt", big_text('3'));  // same size; the mtime is kept below
  set_mtime("one.txt", 1700000000, 0);
  EXPECT_EQ(gunzip(serve(f, "one.txt", accept("gzip"))->body()), big_text('3'));  // new mtime
  write_file("one.txt", big_text('4'));
  set_mtime("one.txt", 1700000000, 0);
  EXPECT_EQ(gunzip(serve(f, "one.txt", accept("gzip"))->body()), big_text('3'));  // cached
  EXPECT_EQ(gunzip(serve(f, "two.txt", accept("gzip"))->body()), big_text('2'));  // evicts it
  EXPECT_EQ(gunzip(serve(f, "one.txt", accept("gzip"))->body()), big_text('4'));  // read again
}

TEST_F(StaticFilesCompression, CopyLargerThanTheBudgetIsServedButNotKept) {
  write_file("big.txt", big_text('x'));
  set_mtime("big.txt", 1700000000, 0);
  const StaticFiles f = files(cached(8));  // smaller than any copy
  EXPECT_EQ(gunzip(serve(f, "big.txt", accept("gzip"))->body()), big_text('x'));
  write_file("big.txt", big_text('y'));
  set_mtime("big.txt", 1700000000, 0);
  EXPECT_EQ(gunzip(serve(f, "big.txt", accept("gzip"))->body()), big_text('y'));
}

TEST_F(StaticFilesCompression, FilesOutsideMinAndMaxLengthAreNotCompressed) {
  write_file("big.txt", big_text('m'));
  CompressionConfig c = cached(1 << 20);
  c.max_length = 999;
  auto above = serve(files(c), "big.txt", accept("gzip"));
  EXPECT_FALSE(above->header("Content-Encoding"));
  EXPECT_EQ(above->header("Vary"), "Accept-Encoding");
  EXPECT_EQ(file_body(*above), big_text('m'));
  auto below = serve(files(cached(1 << 20)), "a.txt", accept("gzip"));  // 12 < 256 bytes
  EXPECT_FALSE(below->header("Content-Encoding"));
  EXPECT_EQ(file_body(*below), "hello world\n");
  c.max_length = 1000;
  EXPECT_EQ(serve(files(c), "big.txt", accept("gzip"))->header("Content-Encoding"), "gzip");
}

TEST_F(StaticFilesCompression, CacheOffLeavesFilesWithoutSiblingsAsTheyAre) {
  write_file("big.txt", big_text('z'));
  auto ex = serve(files(on()), "big.txt", accept("gzip"));
  EXPECT_FALSE(ex->header("Content-Encoding"));
  EXPECT_EQ(ex->header("Vary"), "Accept-Encoding");
  EXPECT_EQ(file_body(*ex), big_text('z'));
}

TEST_F(StaticFilesCompression, EachWorkerHasItsOwnCache) {
  write_file("big.txt", big_text('1'));
  set_mtime("big.txt", 1700000000, 0);
  const StaticFiles f = files(cached(1 << 20), 2);
  auto on_worker = [&](std::size_t worker) {
    FakeExchange ex(test::request("GET", "/static/big.txt", accept("gzip")), {}, worker);
    f.serve(ex.ctx(), "big.txt");
    return gunzip(ex.body());
  };
  EXPECT_EQ(on_worker(0), big_text('1'));
  write_file("big.txt", big_text('2'));
  set_mtime("big.txt", 1700000000, 0);
  EXPECT_EQ(on_worker(0), big_text('1'));  // worker 0's copy
  EXPECT_EQ(on_worker(1), big_text('2'));  // worker 1 had none
  // A worker beyond the count given at construction has no cache: identity, never a crash.
  FakeExchange beyond(test::request("GET", "/static/big.txt", accept("gzip")), {}, 2);
  f.serve(beyond.ctx(), "big.txt");
  EXPECT_FALSE(beyond.header("Content-Encoding"));
  EXPECT_EQ(file_body(beyond), big_text('2'));
}

// serve() on a warm exchange (its buffers sized by a first answer) asks for no memory: not for
// the identity of a compressible file, a sibling, or a cached copy.
TEST_F(StaticFilesCompression, ServingIdentitySiblingsAndCachedCopiesDoesNotAllocate) {
  write_file("index.html.gz", "GZ");
  write_file("big.txt", big_text('w'));
  const StaticFiles f = files(cached(1 << 20));
  for (std::string_view relative : {"a.txt", "", "big.txt"}) {
    FakeExchange ex(test::request("GET", "/static/x", accept("gzip")));
    f.serve(ex.ctx(), relative);  // warms the exchange, and fills the cache for big.txt
    ex.exchange().response().reset();
    const std::uint64_t before = test::allocation_count();
    f.serve(ex.ctx(), relative);
    EXPECT_EQ(test::allocation_count(), before) << relative;
    EXPECT_EQ(ex.status(), 200);
    EXPECT_EQ(ex.header_count("Vary"), 1u);
    EXPECT_EQ(ex.header_count("Content-Encoding"), relative == "a.txt" ? 0u : 1u) << relative;
  }
}

TEST_F(StaticFilesCompression, NoDescriptorLeaks) {
  write_siblings();
  write_file("big.txt", big_text('l'));
  const StaticFiles f = files(cached(1 << 20));
  const std::size_t before = open_fds();
  for (std::string_view headers :
       {std::string("Accept-Encoding: br\r\n"), accept("gzip") + "If-None-Match: *\r\n",
        accept("gzip") + "If-Match: \"nope\"\r\n", accept("zstd") + "Range: bytes=0-1\r\n"}) {
    for (std::string_view relative : {"a.txt", "big.txt"}) {
      auto ex = serve(f, relative, headers);
      if (ex->exchange().response().has_file_body()) file_body(*ex);
    }
  }
  EXPECT_EQ(open_fds(), before);
}

}  // namespace
}  // namespace surge::detail
