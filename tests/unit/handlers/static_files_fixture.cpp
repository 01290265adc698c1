#include "static_files_fixture.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace surge::test {

namespace fs = std::filesystem;

StaticFilesFixture::StaticFilesFixture() {
  std::string pattern = (fs::temp_directory_path() / "surge-static-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  base_ = pattern;
  fs::create_directories(root() + "/css");
  fs::create_directories(root() + "/docs");
  fs::create_directories(root() + "/noindex");
  fs::create_directories(root() + "/dirindex/index.html");
  fs::create_directories(base_ + "/outside");

  write_file("a.txt", "hello world\n");
  const timespec times[2] = {{kMtimeSeconds, kMtimeNanoseconds},
                             {kMtimeSeconds, kMtimeNanoseconds}};
  ::utimensat(AT_FDCWD, (root() + "/a.txt").c_str(), times, 0);
  write_file("empty.txt", "");
  write_file("index.html", "<h1>home</h1>\n");
  write_file("css/site.css", "body{}\n");
  write_file("docs/index.html", "<p>docs</p>\n");
  write_file("docs/guide.md", "# guide\n");
  write_file("noindex/readme.txt", "no index here\n");
  write_file("with space.txt", "space\n");
  write_file("\xc3\xbcn\xc3\xaf\x63\xc3\xb6\x64\xc3\xa9.txt", "utf-8\n");
  write_file("100%.txt", "percent\n");
  write_file("back\\slash.txt", "backslash\n");
  std::ofstream(base_ + "/outside/secret.txt") << "secret\n";

  fs::create_symlink("a.txt", root() + "/link_in");
  fs::create_directory_symlink("css", root() + "/link_dir_in");
  fs::create_symlink("../root/a.txt", root() + "/link_up_in");
  fs::create_symlink(root() + "/a.txt", root() + "/link_abs_in");
  fs::create_symlink("/etc/passwd", root() + "/link_passwd");
  fs::create_symlink("../outside/secret.txt", root() + "/link_sibling");
  fs::create_directory_symlink("../outside", root() + "/link_sibling_dir");
  fs::create_symlink("link_loop", root() + "/link_loop");
  if (::mkfifo((root() + "/fifo").c_str(), 0644) != 0) throw std::runtime_error("mkfifo failed");

  const int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string sock_path = root() + "/sock";
  std::strncpy(address.sun_path, sock_path.c_str(), sizeof address.sun_path - 1);
  const bool bound = ::bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(sock);
  if (!bound) throw std::runtime_error("bind of the Unix socket failed");
}

StaticFilesFixture::~StaticFilesFixture() {
  std::error_code ignored;
  fs::remove_all(base_, ignored);
}

void StaticFilesFixture::write_file(std::string_view relative, std::string_view content) const {
  std::ofstream out(root() + "/" + std::string(relative), std::ios::binary);
  out << content;
}

detail::StaticFiles StaticFilesFixture::make(detail::StaticFilesConfig config,
                                             detail::PathResolution resolution) const {
  if (config.root.empty()) config.root = root();
  return detail::StaticFiles(std::move(config), resolution);
}

std::unique_ptr<FakeExchange> StaticFilesFixture::serve(const detail::StaticFiles& files,
                                                        std::string_view relative,
                                                        std::string_view headers,
                                                        std::string_view method,
                                                        std::string_view target) {
  const std::string default_target = "/static/" + std::string(relative);
  auto ex = std::make_unique<FakeExchange>(
      request(method, target.empty() ? std::string_view(default_target) : target, headers));
  files.serve(ex->ctx(), relative);
  return ex;
}

std::string StaticFilesFixture::file_body(FakeExchange& ex) {
  const detail::FileBody file = ex.exchange().response().take_file_body();
  if (file.fd < 0) return "<no file body>";
  std::string bytes(file.length, '\0');
  const ssize_t n = ::pread(file.fd, bytes.data(), bytes.size(), static_cast<off_t>(file.offset));
  ::close(file.fd);
  if (n != static_cast<ssize_t>(bytes.size())) return "<short read>";
  return bytes;
}

std::size_t StaticFilesFixture::open_fds() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/fd"))
    ++count;
  return count;
}

}  // namespace surge::test
