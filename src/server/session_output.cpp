#include "server/session_output.hpp"

#include <unistd.h>

#include <cerrno>

namespace surge::detail {
namespace {

SessionOutput::Flushed failure(const IoResult& r) {
  return r.error == EPIPE || r.error == ECONNRESET ? SessionOutput::Flushed::kPeerGone
                                                   : SessionOutput::Flushed::kError;
}

}  // namespace

SessionOutput::Flushed SessionOutput::flush(Socket& socket, bool& progress) {
  while (position_ < buffer_.size()) {
    const IoResult r = socket.send(buffer_.data() + position_, buffer_.size() - position_);
    if (r.status == IoStatus::kDone) {
      position_ += r.bytes;
      sent_ += r.bytes;
      progress = true;
      continue;
    }
    if (r.status == IoStatus::kWouldBlock) return Flushed::kBlocked;
    error_ = r.error;
    return failure(r);
  }
  // Everything buffered is written: the buffer goes back to the pool (the next response takes
  // the warmest free one).
  buffer_.release();
  position_ = 0;
  return file_.fd >= 0 ? send_file(socket, progress) : Flushed::kAll;
}

SessionOutput::Flushed SessionOutput::send_file(Socket& socket, bool& progress) {
  while (file_.length > 0) {
    const std::uint64_t before = file_.offset;
    const IoResult r = socket.send_file(file_.fd, file_.offset, file_.length);
    if (r.status == IoStatus::kDone) {
      file_.length -= file_.offset - before;
      sent_ += r.bytes;
      progress = true;
      continue;
    }
    if (r.status == IoStatus::kWouldBlock) return Flushed::kBlocked;
    if (r.status == IoStatus::kEnd) return Flushed::kFileShort;  // the file shrank under us
    error_ = r.error;
    return failure(r);
  }
  ::close(file_.fd);
  file_ = {};
  return Flushed::kAll;
}

void SessionOutput::discard() {
  buffer_.release();
  position_ = 0;
  if (file_.fd >= 0) ::close(file_.fd);
  file_ = {};
}

}  // namespace surge::detail
