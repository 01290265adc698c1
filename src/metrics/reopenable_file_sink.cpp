#include "metrics/reopenable_file_sink.hpp"

#include <cerrno>
#include <fcntl.h>
#include <system_error>
#include <unistd.h>

namespace surge::detail {
namespace {

// Large enough that a busy log costs one write(2) per few hundred lines.
constexpr std::size_t kBufferBytes = 64 * 1024;

std::FILE* open_for_append(const std::string& path, int& error) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = errno;
    return nullptr;
  }
  std::FILE* file = ::fdopen(fd, "a");
  if (file == nullptr) {
    error = errno;
    ::close(fd);
    return nullptr;
  }
  std::setvbuf(file, nullptr, _IOFBF, kBufferBytes);
  return file;
}

}  // namespace

ReopenableFileSink::ReopenableFileSink(std::string path) : path_(std::move(path)) {
  int error = 0;
  file_ = open_for_append(path_, error);
  if (file_ == nullptr) {
    throw std::system_error(error, std::generic_category(), "cannot open access log " + path_);
  }
}

ReopenableFileSink::~ReopenableFileSink() {
  if (file_ != nullptr) std::fclose(file_);
}

boost::system::error_code ReopenableFileSink::reopen() {
  // Opened before taking the lock: the writer thread does not wait for the file system.
  int error = 0;
  std::FILE* file = open_for_append(path_, error);
  if (file == nullptr) return {error, boost::system::generic_category()};
  std::FILE* old = nullptr;
  {
    std::lock_guard lock(mutex_);
    old = file_;
    file_ = file;
  }
  // Nobody writes to the old file any more: flushing and closing it needs no lock.
  std::fclose(old);
  return {};
}

void ReopenableFileSink::sink_it_(const spdlog::details::log_msg& msg) {
  std::fwrite(msg.payload.data(), 1, msg.payload.size(), file_);
  std::fputc('\n', file_);
}

void ReopenableFileSink::flush_() {
  std::fflush(file_);
}

}  // namespace surge::detail
