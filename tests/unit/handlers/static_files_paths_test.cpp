// StaticFiles: which paths are served, refused or redirected, under both path resolutions.
#include "handlers/static_files.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "static_files_fixture.hpp"

namespace surge::detail {
namespace {

using test::FakeExchange;

class StaticFilesPaths : public test::StaticFilesFixture,
                         public ::testing::WithParamInterface<PathResolution> {
 protected:
  bool walking() const { return GetParam() == PathResolution::kWalk; }
  const StaticFiles files_ = make({}, GetParam());
};

INSTANTIATE_TEST_SUITE_P(Resolution, StaticFilesPaths,
                         ::testing::Values(PathResolution::kAuto, PathResolution::kWalk),
                         [](const ::testing::TestParamInfo<PathResolution>& param_info) {
                           return param_info.param == PathResolution::kWalk ? "Walk" : "Openat2";
                         });

// The request target is fixed: only the decoded parameter matters here, and some parameters
// (NUL, '\') could not be in a request line anyway.
void expect_status(const StaticFiles& files, std::string_view relative, int status) {
  auto ex = test::StaticFilesFixture::serve(files, relative, "", "GET", "/static/probe");
  EXPECT_EQ(ex->status(), status) << '"' << relative << '"';
  if (status != 200 && status != 206) {
    EXPECT_FALSE(ex->exchange().response().has_file_body()) << '"' << relative << '"';
  }
}

TEST_P(StaticFilesPaths, ServesNestedAndOddlySpelledPaths) {
  for (std::string_view relative :
       {"css/site.css", "css/./site.css", "css//site.css", "./a.txt", "docs/guide.md"}) {
    expect_status(files_, relative, 200);
  }
}

TEST_P(StaticFilesPaths, MissingFilesAre404) {
  for (std::string_view relative : {"missing.txt", "css/missing.css", "missing/a.txt", "a.txt/",
                                    "a.txt/.", "a.txt/x", "%2e%2e", "A.TXT"}) {
    expect_status(files_, relative, 404);
  }
  expect_status(files_, std::string(300, 'x'), 404);   // name longer than NAME_MAX
  expect_status(files_, std::string(5000, 'x'), 404);  // path longer than PATH_MAX
  std::string deep;
  for (int i = 0; i < 2100; ++i)
    deep += "x/";
  expect_status(files_, deep, 404);
}

// The router percent-decodes the parameter, so "%2e%2e", "%2f" and "%00" arrive decoded.
TEST_P(StaticFilesPaths, TraversalInEverySpellingIs404) {
  for (std::string_view relative :
       {"..", "../", "../outside/secret.txt", "css/../../outside/secret.txt", "css/../a.txt",
        "css/..", "./../outside/secret.txt", "/etc/passwd", "/a.txt", "//a.txt",
        "..\\outside\\secret.txt", "css\\..\\a.txt", "back\\slash.txt"}) {
    expect_status(files_, relative, 404);
  }
  expect_status(files_, std::string_view("a.txt\0.png", 10), 404);
  expect_status(files_, std::string_view("\0", 1), 404);
}

TEST_P(StaticFilesPaths, SymlinksLeavingTheRootAre404) {
  for (std::string_view relative :
       {"link_passwd", "link_sibling", "link_sibling_dir/secret.txt", "link_sibling_dir/",
        "link_loop", "link_abs_in", "link_up_in"}) {
    expect_status(files_, relative, 404);
  }
}

TEST_P(StaticFilesPaths, SymlinksInsideTheRootAreFollowedOnlyWithOpenat2) {
  const int expected = walking() ? 404 : 200;
  auto ex = serve(files_, "link_in");
  EXPECT_EQ(ex->status(), expected);
  if (!walking()) {
    EXPECT_EQ(file_body(*ex), "hello world\n");
    // The type comes from the requested name, as nginx does.
    EXPECT_EQ(ex->content_type(), "application/octet-stream");
  }
  expect_status(files_, "link_dir_in/site.css", expected);
}

TEST_P(StaticFilesPaths, OnlyRegularFilesAreServed) {
  expect_status(files_, "fifo", 404);  // and does not block waiting for a writer
  expect_status(files_, "sock", 404);
  if (::mknod((root() + "/null").c_str(), S_IFCHR | 0666, ::makedev(1, 3)) == 0) {
    expect_status(files_, "null", 404);
  }
}

TEST_P(StaticFilesPaths, WeirdButLegalNamesAreServed) {
  auto space = serve(files_, "with space.txt", "", "GET", "/static/with%20space.txt");
  EXPECT_EQ(space->status(), 200);
  EXPECT_EQ(file_body(*space), "space\n");
  auto utf8 = serve(files_, "\xc3\xbcn\xc3\xaf\x63\xc3\xb6\x64\xc3\xa9.txt", "", "GET",
                    "/static/%C3%BCn%C3%AFc%C3%B6d%C3%A9.txt");
  EXPECT_EQ(utf8->status(), 200);
  EXPECT_EQ(file_body(*utf8), "utf-8\n");
  // "%25" decoded once is a literal '%', never decoded again.
  auto percent = serve(files_, "100%.txt", "", "GET", "/static/100%25.txt");
  EXPECT_EQ(percent->status(), 200);
  EXPECT_EQ(file_body(*percent), "percent\n");
}

TEST_P(StaticFilesPaths, DirectoryWithSlashServesItsIndex) {
  auto home = serve(files_, "", "", "GET", "/static/");
  EXPECT_EQ(home->status(), 200);
  EXPECT_EQ(home->content_type(), "text/html; charset=utf-8");
  EXPECT_EQ(file_body(*home), "<h1>home</h1>\n");
  auto docs = serve(files_, "docs/");
  EXPECT_EQ(docs->status(), 200);
  EXPECT_EQ(file_body(*docs), "<p>docs</p>\n");
  EXPECT_EQ(serve(files_, "docs/", "", "HEAD")->exchange().response().file_length(), 12u);
  expect_status(files_, "noindex/", 404);
  expect_status(files_, "dirindex/", 404);  // its index.html is a directory
  expect_status(files_, "docs//", 200);
}

TEST_P(StaticFilesPaths, DirectoryWithoutSlashRedirectsKeepingTheQuery) {
  auto ex = serve(files_, "docs");
  EXPECT_EQ(ex->status(), 301);
  EXPECT_EQ(ex->header("Location"), "/static/docs/");
  EXPECT_FALSE(ex->exchange().response().has_file_body());
  auto query = serve(files_, "docs", "", "GET", "/static/docs?lang=en&x=%20");
  EXPECT_EQ(query->header("Location"), "/static/docs/?lang=en&x=%20");
  // The Location keeps the request's own encoding.
  std::filesystem::create_directory(root() + "/my dir");
  auto encoded = serve(files_, "my dir", "", "HEAD", "/static/my%20dir");
  EXPECT_EQ(encoded->status(), 301);
  EXPECT_EQ(encoded->header("Location"), "/static/my%20dir/");
  // As nginx: the redirect does not look for the index first.
  EXPECT_EQ(serve(files_, "noindex")->status(), 301);
}

TEST_P(StaticFilesPaths, RedirectNeverPointsToAnotherHost) {
  auto ex = serve(files_, "docs", "", "GET", "//evil.example/docs");
  EXPECT_EQ(ex->status(), 404);
  EXPECT_FALSE(ex->header("Location"));
}

TEST_P(StaticFilesPaths, WithoutIndexDirectoriesAre404) {
  const auto files = make({.root = root(), .index = ""}, GetParam());
  for (std::string_view relative : {"", "docs/", "docs", "noindex"}) {
    auto ex = serve(files, relative);
    EXPECT_EQ(ex->status(), 404) << relative;
    EXPECT_FALSE(ex->header("Location")) << relative;
  }
  expect_status(files, "docs/index.html", 200);
}

TEST_P(StaticFilesPaths, ACustomIndexName) {
  write_file("docs/home.htm", "home\n");
  const auto files = make({.root = root(), .index = "home.htm"}, GetParam());
  auto ex = serve(files, "docs/");
  EXPECT_EQ(ex->status(), 200);
  EXPECT_EQ(file_body(*ex), "home\n");
  expect_status(files, "", 404);
}

TEST_P(StaticFilesPaths, ARelativeRootIsResolvedOnceAtConstruction) {
  const std::string cwd = std::filesystem::current_path();
  std::filesystem::current_path(base());
  const auto files = make({.root = "root"}, GetParam());
  std::filesystem::current_path("/");
  expect_status(files, "a.txt", 200);
  std::filesystem::current_path(cwd);
}

// Permission checks do not apply to root, so the request runs in a child that gave them up.
TEST_P(StaticFilesPaths, UnreadableFileIs403) {
  write_file("private.txt", "private\n");
  ASSERT_EQ(::chmod((root() + "/private.txt").c_str(), 0), 0);
  ASSERT_EQ(::chmod(root().c_str(), 0755), 0);
  ASSERT_EQ(::chmod(base().c_str(), 0755), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(2);
    auto ex = serve(files_, "private.txt");
    const bool ok = ex->status() == 403 && ex->body() == "forbidden\n" &&
                    !ex->exchange().response().has_file_body() && serve(files_, "a.txt")->status() == 200;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// Out of descriptors is transient: 503, not 404 or 500. Run in a child whose limit is lowered.
TEST_P(StaticFilesPaths, OutOfDescriptorsIs503) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The request is parsed before the limit drops: the sanitizers' own checks need descriptors.
    FakeExchange ex(test::request("GET", "/static/css/site.css"));
    const int lowest_free = ::dup(0);  // descriptors are allocated lowest first
    ::close(lowest_free);
    const rlimit limit{static_cast<rlim_t>(lowest_free), static_cast<rlim_t>(lowest_free)};
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(2);
    files_.serve(ex.ctx(), "css/site.css");
    ::_exit(ex.status() == 503 && ex.body() == "service unavailable\n" ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_P(StaticFilesPaths, NoDescriptorLeaksOnAnyAnswer) {
  const std::size_t before = open_fds();
  for (int i = 0; i < 3; ++i) {
    for (std::string_view relative :
         {"a.txt", "missing", "docs", "docs/", "noindex/", "fifo", "sock", "link_passwd", "link_in",
          "css/missing.css", "../x", "link_sibling_dir/secret.txt", "dirindex/"}) {
      serve(files_, relative);
      serve(files_, relative, "If-None-Match: *\r\n");
      serve(files_, relative, "If-Match: \"x\"\r\n");
      serve(files_, relative, "Range: bytes=100-\r\n");
      serve(files_, relative, "Range: bytes=1-2\r\n", "HEAD");
      serve(files_, relative, "", "POST");
    }
  }
  EXPECT_EQ(open_fds(), before);
}

}  // namespace
}  // namespace surge::detail
