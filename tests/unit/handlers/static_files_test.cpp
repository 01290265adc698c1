#include "handlers/static_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <stdexcept>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "static_files_fixture.hpp"

namespace surge::detail {
namespace {

using test::FakeExchange;
using ::testing::HasSubstr;
using ::testing::Not;

// a.txt: 12 bytes, mtime 1700000000.123456789 (see the fixture).
constexpr std::string_view kEtag = "\"c-17979cfe3d85cd15\"";  // 0xc - 1700000000123456789 in hex
constexpr std::string_view kLastModified = "Tue, 14 Nov 2023 22:13:20 GMT";
constexpr std::string_view kBefore = "Tue, 14 Nov 2023 22:13:19 GMT";
constexpr std::string_view kAfter = "Tue, 14 Nov 2023 22:13:21 GMT";

class StaticFilesHttp : public test::StaticFilesFixture {
 protected:
  std::string header(std::string_view name, std::string_view value) {
    return std::string(name) + ": " + std::string(value) + "\r\n";
  }
  const StaticFiles files_ = make();
};

// --- 200 and its headers -------------------------------------------------------------------

TEST_F(StaticFilesHttp, ServesAFileWithItsValidators) {
  auto ex = serve(files_, "a.txt");
  EXPECT_EQ(ex->status(), 200);
  EXPECT_EQ(ex->content_type(), "text/plain; charset=utf-8");
  EXPECT_EQ(ex->header("ETag"), kEtag);
  EXPECT_EQ(ex->header("Last-Modified"), kLastModified);
  EXPECT_EQ(ex->header("Accept-Ranges"), "bytes");
  EXPECT_FALSE(ex->header("Cache-Control"));
  EXPECT_FALSE(ex->header("Content-Range"));
  EXPECT_TRUE(ex->body().empty());
  for (std::string_view name : {"ETag", "Last-Modified", "Accept-Ranges"}) {
    EXPECT_EQ(ex->header_count(name), 1u) << name;
  }
  ASSERT_TRUE(ex->exchange().response().has_file_body());
  EXPECT_EQ(ex->exchange().response().file_length(), 12u);
  EXPECT_EQ(file_body(*ex), "hello world\n");
}

TEST_F(StaticFilesHttp, EtagFollowsSizeAndNanosecondMtime) {
  const timespec later[2] = {{kMtimeSeconds, kMtimeNanoseconds + 1},
                             {kMtimeSeconds, kMtimeNanoseconds + 1}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (root() + "/a.txt").c_str(), later, 0), 0);
  auto ex = serve(files_, "a.txt");
  EXPECT_EQ(ex->header("ETag"), "\"c-17979cfe3d85cd16\"");
  EXPECT_EQ(ex->header("Last-Modified"), kLastModified);  // same second
}

TEST_F(StaticFilesHttp, CacheControlOnlyWhenMaxAgeIsSet) {
  const auto cached = make({.root = root(), .max_age = std::chrono::hours(1)});
  EXPECT_EQ(serve(cached, "a.txt")->header("Cache-Control"), "max-age=3600");
  EXPECT_EQ(serve(cached, "a.txt", header("If-None-Match", kEtag))->header("Cache-Control"),
            "max-age=3600");
  EXPECT_EQ(serve(cached, "a.txt", "Range: bytes=0-0\r\n")->header("Cache-Control"),
            "max-age=3600");
  EXPECT_FALSE(serve(files_, "a.txt")->header("Cache-Control"));
}

TEST_F(StaticFilesHttp, ContentTypeComesFromTheExtension) {
  EXPECT_EQ(serve(files_, "css/site.css")->content_type(), "text/css; charset=utf-8");
  EXPECT_EQ(serve(files_, "docs/guide.md")->content_type(), "text/markdown; charset=utf-8");
  EXPECT_EQ(serve(files_, "index.html")->content_type(), "text/html; charset=utf-8");
  write_file("blob", "x");
  EXPECT_EQ(serve(files_, "blob")->content_type(), "application/octet-stream");
}

TEST_F(StaticFilesHttp, EmptyFileIsAnEmptyFileBody) {
  auto ex = serve(files_, "empty.txt");
  EXPECT_EQ(ex->status(), 200);
  ASSERT_TRUE(ex->exchange().response().has_file_body());
  EXPECT_EQ(ex->exchange().response().file_length(), 0u);
  EXPECT_THAT(*ex->header("ETag"), ::testing::StartsWith("\"0-"));
  EXPECT_EQ(file_body(*ex), "");
}

TEST_F(StaticFilesHttp, HeadAnswersLikeGetAndLeavesTheBodyToTheEngine) {
  auto ex = serve(files_, "a.txt", "", "HEAD");
  EXPECT_EQ(ex->status(), 200);
  EXPECT_EQ(ex->header("ETag"), kEtag);
  EXPECT_EQ(ex->content_type(), "text/plain; charset=utf-8");
  // The file body is what gives the engine the Content-Length; Framing::head_request keeps it
  // from being sent.
  ASSERT_TRUE(ex->exchange().response().has_file_body());
  EXPECT_EQ(ex->exchange().response().file_length(), 12u);
}

TEST_F(StaticFilesHttp, OtherMethodsAre405WithAllow) {
  for (std::string_view method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    auto ex = serve(files_, "a.txt", "", method);
    EXPECT_EQ(ex->status(), 405) << method;
    EXPECT_EQ(ex->header("Allow"), "GET, HEAD") << method;
    EXPECT_FALSE(ex->exchange().response().has_file_body()) << method;
  }
}

TEST_F(StaticFilesHttp, ErrorBodiesAreShortAndNeverNameThePath) {
  for (std::string_view relative :
       {"missing.txt", "../outside/secret.txt", "link_passwd", "fifo"}) {
    auto ex = serve(files_, relative);
    EXPECT_EQ(ex->status(), 404) << relative;
    EXPECT_EQ(ex->body(), "not found\n") << relative;
    EXPECT_THAT(std::string(ex->body()), Not(HasSubstr(base()))) << relative;
    EXPECT_EQ(ex->content_type(), "text/plain; charset=utf-8");
  }
}

// --- conditional requests (RFC 9110 13.2.2) ---------------------------------------------------

TEST_F(StaticFilesHttp, IfNoneMatchGives304WithValidatorsAndNoBody) {
  auto ex = serve(files_, "a.txt", header("If-None-Match", kEtag));
  EXPECT_EQ(ex->status(), 304);
  EXPECT_EQ(ex->header("ETag"), kEtag);
  EXPECT_EQ(ex->header("Last-Modified"), kLastModified);
  EXPECT_FALSE(ex->exchange().response().has_file_body());
  EXPECT_TRUE(ex->body().empty());
  EXPECT_TRUE(ex->content_type().empty());
}

TEST_F(StaticFilesHttp, IfNoneMatchUsesWeakComparisonOverLists) {
  const std::string weak = "W/" + std::string(kEtag);
  const std::string list = "\"x\", \"a,b\" ,W/\"y\", " + std::string(kEtag);
  for (const std::string& value : {weak, list, std::string("*"), std::string(" \"z\" ,*")}) {
    EXPECT_EQ(serve(files_, "a.txt", header("If-None-Match", value))->status(), 304) << value;
  }
  // Several field lines form one list.
  EXPECT_EQ(
      serve(files_, "a.txt", header("If-None-Match", "\"x\"") + header("if-none-match", kEtag))
          ->status(),
      304);
  for (std::string_view value :
       {"\"x\"", "\"c-17979cfe3d85cd15", "c-17979cfe3d85cd15", "W/x", "\"C-17979CFE3D85CD15\"",
        "\"x\" junk "
        "\"c-17979cfe3d85cd15\""}) {
    auto ex = serve(files_, "a.txt", header("If-None-Match", value));
    EXPECT_EQ(ex->status(), 200) << value;
    EXPECT_EQ(file_body(*ex), "hello world\n");
  }
}

TEST_F(StaticFilesHttp, IfModifiedSinceGives304UnlessModifiedLater) {
  EXPECT_EQ(serve(files_, "a.txt", header("If-Modified-Since", kLastModified))->status(), 304);
  EXPECT_EQ(serve(files_, "a.txt", header("If-Modified-Since", kAfter))->status(), 304);
  EXPECT_EQ(serve(files_, "a.txt", header("If-Modified-Since", kBefore))->status(), 200);
  EXPECT_EQ(serve(files_, "a.txt", header("If-Modified-Since", "Tuesday, 14-Nov-23 22:13:20 GMT"))
                ->status(),
            304);
  EXPECT_EQ(
      serve(files_, "a.txt", header("If-Modified-Since", "Tue Nov 14 22:13:20 2023"))->status(),
      304);
  EXPECT_EQ(serve(files_, "a.txt", header("If-Modified-Since", "yesterday"))->status(), 200);
}

TEST_F(StaticFilesHttp, IfNoneMatchTakesPrecedenceOverIfModifiedSince) {
  // A client that sends both gets the ETag's answer, even when the date alone would say 304.
  auto ex = serve(files_, "a.txt",
                  header("If-None-Match", "\"stale\"") + header("If-Modified-Since", kAfter));
  EXPECT_EQ(ex->status(), 200);
  // ...and a matching tag wins over a date that would say 200.
  EXPECT_EQ(
      serve(files_, "a.txt", header("If-None-Match", kEtag) + header("If-Modified-Since", kBefore))
          ->status(),
      304);
}

TEST_F(StaticFilesHttp, IfMatchUsesStrongComparison) {
  EXPECT_EQ(serve(files_, "a.txt", header("If-Match", kEtag))->status(), 200);
  EXPECT_EQ(serve(files_, "a.txt", header("If-Match", "*"))->status(), 200);
  EXPECT_EQ(serve(files_, "a.txt", header("If-Match", "\"x\", " + std::string(kEtag)))->status(),
            200);
  auto failed = serve(files_, "a.txt", header("If-Match", "\"x\""));
  EXPECT_EQ(failed->status(), 412);
  EXPECT_EQ(failed->body(), "precondition failed\n");
  EXPECT_FALSE(failed->exchange().response().has_file_body());
  EXPECT_EQ(serve(files_, "a.txt", header("If-Match", "W/" + std::string(kEtag)))->status(), 412);
}

TEST_F(StaticFilesHttp, IfUnmodifiedSinceFailsWhenModifiedLater) {
  EXPECT_EQ(serve(files_, "a.txt", header("If-Unmodified-Since", kBefore))->status(), 412);
  EXPECT_EQ(serve(files_, "a.txt", header("If-Unmodified-Since", kLastModified))->status(), 200);
  EXPECT_EQ(serve(files_, "a.txt", header("If-Unmodified-Since", "garbage"))->status(), 200);
  // Ignored when If-Match is present (13.1.4).
  EXPECT_EQ(
      serve(files_, "a.txt", header("If-Match", kEtag) + header("If-Unmodified-Since", kBefore))
          ->status(),
      200);
}

TEST_F(StaticFilesHttp, PreconditionFailureComesBeforeNotModified) {
  EXPECT_EQ(serve(files_, "a.txt", header("If-Match", "\"x\"") + header("If-None-Match", kEtag))
                ->status(),
            412);
}

TEST_F(StaticFilesHttp, NotModifiedComesBeforeRange) {
  auto ex = serve(files_, "a.txt", header("If-None-Match", kEtag) + "Range: bytes=0-1\r\n");
  EXPECT_EQ(ex->status(), 304);
  EXPECT_FALSE(ex->header("Content-Range"));
}

TEST_F(StaticFilesHttp, ConditionalsApplyToHead) {
  EXPECT_EQ(serve(files_, "a.txt", header("If-None-Match", kEtag), "HEAD")->status(), 304);
  EXPECT_EQ(serve(files_, "a.txt", header("If-Match", "\"x\""), "HEAD")->status(), 412);
}

// --- ranges (RFC 9110 14) ---------------------------------------------------------------------

struct RangeCase {
  std::string_view range;
  std::string_view content_range;
  std::string_view bytes;
};

TEST_F(StaticFilesHttp, SingleSatisfiableRangeIs206) {
  const RangeCase kCases[] = {
      {"bytes=0-3", "bytes 0-3/12", "hell"},
      {"bytes=4-", "bytes 4-11/12", "o world\n"},
      {"bytes=-3", "bytes 9-11/12", "ld\n"},
      {"bytes=-100", "bytes 0-11/12", "hello world\n"},
      {"bytes=6-1000", "bytes 6-11/12", "world\n"},
      {"bytes=11-11", "bytes 11-11/12", "\n"},
      {"bytes=0-99999999999999999999999", "bytes 0-11/12", "hello world\n"},
      {"Bytes=0-0", "bytes 0-0/12", "h"},
      {"bytes=, 2-3 ,", "bytes 2-3/12", "ll"},
  };
  for (const RangeCase& c : kCases) {
    auto ex = serve(files_, "a.txt", "Range: " + std::string(c.range) + "\r\n");
    EXPECT_EQ(ex->status(), 206) << c.range;
    EXPECT_EQ(ex->header("Content-Range"), c.content_range) << c.range;
    EXPECT_EQ(ex->header("ETag"), kEtag) << c.range;
    EXPECT_EQ(ex->header("Accept-Ranges"), "bytes") << c.range;
    EXPECT_EQ(ex->content_type(), "text/plain; charset=utf-8") << c.range;
    EXPECT_EQ(ex->exchange().response().file_length(), c.bytes.size()) << c.range;
    EXPECT_EQ(file_body(*ex), c.bytes) << c.range;
  }
}

TEST_F(StaticFilesHttp, UnsatisfiableRangeIs416WithTheSize) {
  for (std::string_view range :
       {"bytes=12-", "bytes=12-20", "bytes=-0", "bytes=99999999999999999999-"}) {
    auto ex = serve(files_, "a.txt", "Range: " + std::string(range) + "\r\n");
    EXPECT_EQ(ex->status(), 416) << range;
    EXPECT_EQ(ex->header("Content-Range"), "bytes */12") << range;
    EXPECT_EQ(ex->body(), "range not satisfiable\n");
    EXPECT_FALSE(ex->exchange().response().has_file_body()) << range;
  }
}

TEST_F(StaticFilesHttp, MalformedOrMultipleRangesAreIgnored) {
  for (std::string_view range : {"bytes=0-1,4-5", "bytes=0-1, 0-1", "bytes=3-1", "bytes=a-b",
                                 "bytes=", "bytes 0-1", "items=0-1", "bytes=0-1-2", "bytes=--1",
                                 "bytes=1", "bytes=- 1", "bytes=+1-2", "bytes=0x1-2", "bytes"}) {
    auto ex = serve(files_, "a.txt", "Range: " + std::string(range) + "\r\n");
    EXPECT_EQ(ex->status(), 200) << range;
    EXPECT_FALSE(ex->header("Content-Range")) << range;
    EXPECT_EQ(file_body(*ex), "hello world\n") << range;
  }
}

TEST_F(StaticFilesHttp, RangeOnAnEmptyFile) {
  // No first-pos can overlap zero bytes (15.5.17)...
  auto ex = serve(files_, "empty.txt", "Range: bytes=0-\r\n");
  EXPECT_EQ(ex->status(), 416);
  EXPECT_EQ(ex->header("Content-Range"), "bytes */0");
  // ...but a non-zero suffix is satisfiable (14.1.2) and cannot be spelled: the whole, empty file.
  auto suffix = serve(files_, "empty.txt", "Range: bytes=-5\r\n");
  EXPECT_EQ(suffix->status(), 200);
  EXPECT_EQ(suffix->exchange().response().file_length(), 0u);
  EXPECT_EQ(serve(files_, "empty.txt", "Range: bytes=-0\r\n")->status(), 416);
}

TEST_F(StaticFilesHttp, HeadIgnoresRange) {
  auto ex = serve(files_, "a.txt", "Range: bytes=0-3\r\n", "HEAD");
  EXPECT_EQ(ex->status(), 200);
  EXPECT_FALSE(ex->header("Content-Range"));
  EXPECT_EQ(ex->exchange().response().file_length(), 12u);
  EXPECT_EQ(serve(files_, "a.txt", "Range: bytes=50-\r\n", "HEAD")->status(), 200);
}

TEST_F(StaticFilesHttp, IfRangeMustMatchForTheRangeToApply) {
  const std::string range = "Range: bytes=0-3\r\n";
  EXPECT_EQ(serve(files_, "a.txt", range + header("If-Range", kEtag))->status(), 206);
  EXPECT_EQ(serve(files_, "a.txt", range + header("If-Range", kLastModified))->status(), 206);
  for (std::string_view value :
       {std::string_view("\"other\""), std::string_view(kAfter), std::string_view(kBefore),
        std::string_view("garbage"), std::string_view("W/\"c-17979cfe3d85cd15\"")}) {
    auto ex = serve(files_, "a.txt", range + header("If-Range", value));
    EXPECT_EQ(ex->status(), 200) << value;
    EXPECT_EQ(file_body(*ex), "hello world\n") << value;
  }
  // A failed If-Range also turns an unsatisfiable range into the whole file.
  EXPECT_EQ(
      serve(files_, "a.txt", "Range: bytes=50-\r\n" + header("If-Range", "\"other\""))->status(),
      200);
}

// --- construction -----------------------------------------------------------------------------

TEST_F(StaticFilesHttp, ConstructorRejectsABadRootNamingIt) {
  const std::string missing = base() + "/missing";
  try {
    StaticFiles files({.root = missing});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr(missing));
  }
  EXPECT_THROW(StaticFiles({.root = root() + "/a.txt"}), std::invalid_argument);
  EXPECT_THROW(StaticFiles({.root = ""}), std::invalid_argument);
  EXPECT_THROW(StaticFiles({.root = std::string("/tmp\0x", 6)}), std::invalid_argument);
}

TEST_F(StaticFilesHttp, ConstructorRejectsAnIndexThatIsNotAFileName) {
  for (std::string index : {"docs/index.html", "..", ".", "/index.html"}) {
    EXPECT_THROW(StaticFiles({.root = root(), .index = index}), std::invalid_argument) << index;
  }
}

TEST_F(StaticFilesHttp, UsesOpenat2WhenTheKernelHasIt) {
  // Kernel 6.x here; a kernel without it would pick the walk.
  EXPECT_EQ(files_.resolution(), PathResolution::kOpenat2);
  EXPECT_EQ(make({}, PathResolution::kWalk).resolution(), PathResolution::kWalk);
}

TEST_F(StaticFilesHttp, MovedInstanceKeepsServing) {
  StaticFiles moved = make();
  StaticFiles target = std::move(moved);
  EXPECT_EQ(serve(target, "a.txt")->status(), 200);
  moved = std::move(target);
  EXPECT_EQ(serve(moved, "a.txt")->status(), 200);
}

}  // namespace
}  // namespace surge::detail
