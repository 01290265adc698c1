// BeneathRoot: what opens, what is refused by its text, and what each resolution does with
// symlinks, on the static_files fixture's tree.
#include "handlers/beneath_root.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "static_files_fixture.hpp"

namespace surge::detail {
namespace {

using ::testing::HasSubstr;

// The errno of a failed open, or 0 after closing the descriptor of a successful one.
int error_of(const boost::system::result<int, std::errc>& opened) {
  if (!opened) return static_cast<int>(opened.error());
  ::close(*opened);
  return 0;
}

// The contents of the file opened, or "<errno N>"; closes the descriptor.
std::string read_all(const boost::system::result<int, std::errc>& opened) {
  if (!opened) return "<errno " + std::to_string(static_cast<int>(opened.error())) + ">";
  std::string bytes;
  char buffer[256];
  ssize_t n;
  while ((n = ::read(*opened, buffer, sizeof buffer)) > 0)
    bytes.append(buffer, static_cast<std::size_t>(n));
  ::close(*opened);
  return bytes;
}

class BeneathRootOpen : public test::StaticFilesFixture,
                        public ::testing::WithParamInterface<PathResolution> {
 protected:
  bool walking() const { return GetParam() == PathResolution::kWalk; }
  const BeneathRoot root_{root(), GetParam()};
};

INSTANTIATE_TEST_SUITE_P(Resolution, BeneathRootOpen,
                         ::testing::Values(PathResolution::kAuto, PathResolution::kWalk),
                         [](const ::testing::TestParamInfo<PathResolution>& param_info) {
                           return param_info.param == PathResolution::kWalk ? "Walk" : "Openat2";
                         });

TEST_P(BeneathRootOpen, OpensFilesBelowTheRoot) {
  EXPECT_EQ(read_all(root_.open("a.txt")), "hello world\n");
  for (std::string_view path :
       {"css/site.css", "css/./site.css", "css//site.css", "./css/site.css"}) {
    EXPECT_EQ(read_all(root_.open(path)), "body{}\n") << path;
  }
  EXPECT_EQ(read_all(root_.open("with space.txt")), "space\n");
  EXPECT_EQ(read_all(root_.open("100%.txt")), "percent\n");
}

TEST_P(BeneathRootOpen, TheNameIsAppendedToThePath) {
  EXPECT_EQ(read_all(root_.open("docs/", "index.html")), "<p>docs</p>\n");
  EXPECT_EQ(read_all(root_.open("", "index.html")), "<h1>home</h1>\n");
  EXPECT_EQ(read_all(root_.open("docs//", "guide.md")), "# guide\n");
}

TEST_P(BeneathRootOpen, TheEmptyPathIsTheRootItself) {
  for (std::string_view path : {"", ".", "./"}) {
    const auto opened = root_.open(path);
    ASSERT_TRUE(opened) << path;
    struct stat st {};
    EXPECT_EQ(::fstat(*opened, &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode)) << path;
    ::close(*opened);
  }
}

TEST_P(BeneathRootOpen, DescriptorsAreCloseOnExecAndNonBlocking) {
  const auto opened = root_.open("a.txt");
  ASSERT_TRUE(opened);
  EXPECT_NE(::fcntl(*opened, F_GETFL) & O_NONBLOCK, 0);
  EXPECT_EQ(::fcntl(*opened, F_GETFL) & O_ACCMODE, O_RDONLY);
  EXPECT_NE(::fcntl(*opened, F_GETFD) & FD_CLOEXEC, 0);
  ::close(*opened);
  // Non-blocking: a FIFO without a writer opens at once instead of hanging the test.
  EXPECT_EQ(error_of(root_.open("fifo")), 0);
}

// Refused by the text, before any system call: ENOENT even where the file exists
// ("back\slash.txt") and where openat2 would have said EXDEV ("..").
TEST_P(BeneathRootOpen, TraversalAndOddCharactersAreRefusedByTheirText) {
  for (std::string_view path :
       {"..", "../", "../outside/secret.txt", "css/../../outside/secret.txt", "css/../a.txt",
        "css/..", "./../outside/secret.txt", "/etc/passwd", "/a.txt", "//a.txt",
        "..\\outside\\secret.txt", "css\\..\\a.txt", "back\\slash.txt"}) {
    EXPECT_EQ(error_of(root_.open(path)), ENOENT) << path;
  }
  EXPECT_EQ(error_of(root_.open(std::string_view("a.txt\0.png", 10))), ENOENT);
  EXPECT_EQ(error_of(root_.open(std::string_view("\0", 1))), ENOENT);
  // Only ".." itself is a way up: "...", "..x" and "x.." are ordinary names.
  for (std::string_view name : {"...", "..x", "x.."}) {
    write_file(name, "dots\n");
    EXPECT_EQ(read_all(root_.open(name)), "dots\n") << name;
  }
}

TEST_P(BeneathRootOpen, ANameThatIsNotAFileNameIsRefused) {
  for (std::string_view name : {"..", ".", "a/b", "/a.txt"}) {
    EXPECT_EQ(error_of(root_.open("docs/", name)), ENOENT) << name;
  }
  EXPECT_EQ(error_of(root_.open("", std::string_view("a.txt\0", 6))), ENOENT);
  // "." + "." would spell "..".
  EXPECT_EQ(error_of(root_.open(".", ".")), ENOENT);
}

TEST_P(BeneathRootOpen, PathsOfPathMaxBytesOrMoreAreTooLong) {
  std::string longest;  // PATH_MAX - 1 bytes, of missing directories: the kernel says ENOENT
  while (longest.size() < PATH_MAX - 1)
    longest += "x/";
  longest.resize(PATH_MAX - 1);
  EXPECT_EQ(error_of(root_.open(longest)), ENOENT);
  EXPECT_EQ(error_of(root_.open(longest + "x")), ENAMETOOLONG);
  EXPECT_EQ(error_of(root_.open(longest.substr(0, longest.size() - 1), "ab")), ENAMETOOLONG);
  EXPECT_EQ(error_of(root_.open(std::string(300, 'x'))), ENAMETOOLONG);  // past NAME_MAX
}

TEST_P(BeneathRootOpen, MissingAndNotADirectory) {
  EXPECT_EQ(error_of(root_.open("missing.txt")), ENOENT);
  EXPECT_EQ(error_of(root_.open("missing/a.txt")), ENOENT);
  EXPECT_EQ(error_of(root_.open("A.TXT")), ENOENT);
  for (std::string_view path : {"a.txt/", "a.txt/.", "a.txt/x"}) {
    EXPECT_EQ(error_of(root_.open(path)), ENOTDIR) << path;
  }
}

TEST_P(BeneathRootOpen, SymlinksLeavingTheRootAreRefused) {
  // openat2 names the escape (EXDEV); the walk refuses every symlink.
  const int escape = walking() ? ELOOP : EXDEV;
  EXPECT_EQ(error_of(root_.open("link_passwd")), escape);
  EXPECT_EQ(error_of(root_.open("link_sibling")), escape);
  EXPECT_EQ(error_of(root_.open("link_abs_in")), escape);  // absolute, even into the root
  EXPECT_EQ(error_of(root_.open("link_up_in")), escape);   // "..", even back into the root
  EXPECT_EQ(error_of(root_.open("link_sibling_dir/secret.txt")), walking() ? ENOTDIR : EXDEV);
  EXPECT_EQ(error_of(root_.open("link_loop")), ELOOP);
}

TEST_P(BeneathRootOpen, SymlinksInsideTheRootAreFollowedOnlyWithOpenat2) {
  if (walking()) {
    EXPECT_EQ(error_of(root_.open("link_in")), ELOOP);
    EXPECT_EQ(error_of(root_.open("link_dir_in/site.css")), ENOTDIR);
  } else {
    EXPECT_EQ(read_all(root_.open("link_in")), "hello world\n");
    EXPECT_EQ(read_all(root_.open("link_dir_in/site.css")), "body{}\n");
  }
}

TEST_P(BeneathRootOpen, NoDescriptorLeaks) {
  const std::size_t before = open_fds();
  for (int i = 0; i < 3; ++i) {
    for (std::string_view path :
         {"a.txt", "css/site.css", "missing", "css/missing.css", "docs/x/y", "a.txt/x", "../x",
          "link_sibling_dir/secret.txt", "link_dir_in/site.css", "link_passwd", "fifo", ""}) {
      error_of(root_.open(path));
      error_of(root_.open(path, "index.html"));
    }
  }
  EXPECT_EQ(open_fds(), before);
}

TEST_P(BeneathRootOpen, AMovedRootKeepsOpening) {
  BeneathRoot moved(root(), GetParam());
  BeneathRoot target = std::move(moved);
  EXPECT_EQ(read_all(target.open("a.txt")), "hello world\n");
  EXPECT_EQ(target.resolution(), root_.resolution());
  moved = std::move(target);
  EXPECT_EQ(read_all(moved.open("a.txt")), "hello world\n");
}

TEST_P(BeneathRootOpen, ARelativeRootIsResolvedOnceAtConstruction) {
  const std::string cwd = std::filesystem::current_path();
  std::filesystem::current_path(base());
  const BeneathRoot relative("root", GetParam());
  std::filesystem::current_path("/");
  EXPECT_EQ(read_all(relative.open("a.txt")), "hello world\n");
  std::filesystem::current_path(cwd);
}

// --- construction ----------------------------------------------------------------------------

class BeneathRootConstruction : public test::StaticFilesFixture {};

TEST_F(BeneathRootConstruction, ResolvesAutoOnceAndKeepsAnExplicitChoice) {
  // Kernel 6.x here; a kernel without openat2 would pick the walk.
  EXPECT_EQ(BeneathRoot(root()).resolution(), PathResolution::kOpenat2);
  EXPECT_EQ(BeneathRoot(root(), PathResolution::kOpenat2).resolution(), PathResolution::kOpenat2);
  EXPECT_EQ(BeneathRoot(root(), PathResolution::kWalk).resolution(), PathResolution::kWalk);
}

TEST_F(BeneathRootConstruction, RejectsWhatIsNotAnOpenableDirectoryNamingIt) {
  const std::string missing = base() + "/missing";
  try {
    BeneathRoot root(missing);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("root '" + missing + "' is not an openable directory: "));
  }
  EXPECT_THROW(BeneathRoot(root() + "/a.txt"), std::invalid_argument);
  EXPECT_THROW(BeneathRoot(""), std::invalid_argument);
  EXPECT_THROW(BeneathRoot(std::string("/tmp\0x", 6)), std::invalid_argument);
}

TEST(BeneathRootFileName, IsOneComponentOtherThanDotAndDotDot) {
  for (std::string_view name : {"index.html", "...", "..x", ".hidden", "a\\b", "x"}) {
    EXPECT_TRUE(BeneathRoot::is_file_name(name)) << name;
  }
  for (std::string_view name : {"", ".", "..", "a/b", "/", "dir/"}) {
    EXPECT_FALSE(BeneathRoot::is_file_name(name)) << name;
  }
  EXPECT_FALSE(BeneathRoot::is_file_name(std::string_view("a\0b", 3)));
}

}  // namespace
}  // namespace surge::detail
