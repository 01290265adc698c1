#pragma once
// ReopenableFileSink: an spdlog sink appending lines to a file that logrotate may rename.

#include <cstdio>
#include <mutex>
#include <string>

#include <boost/system/error_code.hpp>
#include <spdlog/sinks/base_sink.h>

namespace surge::detail {

/// Appends each message's payload and a '\n' to `path`: no pattern, the message is the line. The
/// file is opened with O_APPEND (several writers and logrotate's copytruncate stay consistent)
/// and mode 0644 before the umask, and written through a 64 KiB stdio buffer: data reaches the
/// file when the buffer fills and on flush(), which the owner calls periodically.
///
/// Thread-safety: spdlog calls log() and flush() from the async logger's thread; reopen() may run
/// on any other thread at the same time (all three hold the sink's mutex). Write errors (a full
/// disk) are ignored: the request path must not fail because its log cannot be written.
class ReopenableFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  /// Opens (creates) path for appending. Throws std::system_error naming the path if it cannot.
  explicit ReopenableFileSink(std::string path);
  ~ReopenableFileSink() override;

  /// Opens the path again, e.g. after logrotate renamed the file, and switches to the new file;
  /// the old one is flushed and closed. If the path cannot be opened the old file stays in use
  /// and the error is returned.
  boost::system::error_code reopen();

  const std::string& path() const { return path_; }

 private:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

  const std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace surge::detail
