#pragma once
// A scratch directory tree served by StaticFiles, and helpers to drive serve() through a
// FakeExchange. Shared by the static_files tests.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "handlers/static_files.hpp"
#include "support/fake_exchange.hpp"

namespace surge::test {

/// <tmp>/root is served; <tmp>/outside is its sibling, reachable only through symlinks:
///   root/a.txt "hello world\n" (mtime 1700000000.123456789)   root/empty.txt (0 bytes)
///   root/index.html   root/css/site.css   root/docs/index.html   root/docs/guide.md
///   root/noindex/readme.txt   root/dirindex/index.html/ (a directory)
///   root/with space.txt   root/ünïcödé.txt   root/100%.txt   root/back\slash.txt
///   root/link_in -> a.txt   root/link_dir_in -> css   root/link_up_in -> ../root/a.txt
///   root/link_abs_in -> <tmp>/root/a.txt   root/link_passwd -> /etc/passwd
///   root/link_sibling -> ../outside/secret.txt   root/link_sibling_dir -> ../outside
///   root/link_loop -> link_loop   root/fifo (FIFO)   root/sock (Unix socket)
///   outside/secret.txt "secret\n"
class StaticFilesFixture : public ::testing::Test {
 protected:
  static constexpr std::int64_t kMtimeSeconds = 1700000000;
  static constexpr long kMtimeNanoseconds = 123456789;

  StaticFilesFixture();
  ~StaticFilesFixture() override;

  const std::string& base() const { return base_; }
  std::string root() const { return base_ + "/root"; }
  void write_file(std::string_view relative, std::string_view content) const;

  detail::StaticFiles make(detail::StaticFilesConfig config = {},
                           detail::PathResolution resolution = detail::PathResolution::kAuto) const;

 public:
  /// Serves `relative` (the decoded route parameter) for a request `method target` with extra
  /// header lines; target defaults to "/static/" + relative (only for URI-safe names).
  static std::unique_ptr<FakeExchange> serve(const detail::StaticFiles& files,
                                             std::string_view relative,
                                             std::string_view headers = "",
                                             std::string_view method = "GET",
                                             std::string_view target = "");

  /// The bytes the response's file body would send (read with pread), closing its descriptor.
  static std::string file_body(FakeExchange& ex);
  /// Open descriptors of this process.
  static std::size_t open_fds();

 private:
  std::string base_;
};

}  // namespace surge::test
