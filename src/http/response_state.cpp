#include "http/response_state.hpp"

#include <unistd.h>

#include <cstring>

#include "http/grammar.hpp"

namespace surge::detail {
namespace {

// A pooled response keeps this much of each buffer between requests; a larger one (a big body)
// is handed back, so memory stays proportional to the traffic in progress.
constexpr std::size_t kRetainedBytes = 64 * 1024;

void trim_capacity(ByteBuffer& buffer) {
  buffer.clear();
  if (buffer.capacity() > kRetainedBytes) buffer.release();
}

}  // namespace

ResponseState::ResponseState(SlabPool* body_pool) : body_(body_pool) {}

ResponseState::~ResponseState() { close_file(); }

void ResponseState::set_content_type(std::string_view type) {
  content_type_.clear();
  content_type_.append(type);
}

void ResponseState::append_header(std::string_view name, std::string_view value) {
  const std::size_t size = name.size() + value.size() + 4;
  char* p = extra_headers_.prepare(size);
  std::memcpy(p, name.data(), name.size());
  p += name.size();
  *p++ = ':';
  *p++ = ' ';
  if (!value.empty()) std::memcpy(p, value.data(), value.size());
  p += value.size();
  *p++ = '\r';
  *p++ = '\n';
  extra_headers_.commit(size);
}

void ResponseState::set_file_body(int fd, std::uint64_t offset, std::uint64_t length) {
  close_file();
  body_.clear();
  kind_ = BodyKind::kFile;
  file_ = {fd, offset, length};
}

FileBody ResponseState::take_file_body() {
  FileBody file = file_;
  file_ = {};
  kind_ = BodyKind::kBytes;
  return file;
}

void ResponseState::set_stream_body(std::uint64_t length) {
  close_file();
  body_.clear();
  kind_ = BodyKind::kStream;
  stream_length_ = length;
}

std::optional<std::string_view> ResponseState::header(std::string_view name) const {
  std::optional<std::string_view> found;
  for_each_header(name, [&](std::string_view value) {
    if (!found) found = value;
  });
  return found;
}

bool ResponseState::header_name_is(std::string_view a, std::string_view b) { return iequals(a, b); }

void ResponseState::weaken_etag() {
  std::string_view rest = extra_headers();
  std::size_t at = 0;
  while (at < rest.size()) {
    const std::size_t end = rest.find("\r\n", at);
    const std::string_view line = rest.substr(at, end == std::string_view::npos ? end : end - at);
    if (line.size() > 6 && iequals(line.substr(0, 6), "etag: ") && line[6] == '"') {
      const std::size_t value = at + 6;
      extra_headers_.prepare(2);
      char* d = extra_headers_.data();
      std::memmove(d + value + 2, d + value, extra_headers_.size() - value);
      d[value] = 'W';
      d[value + 1] = '/';
      extra_headers_.commit(2);
      return;
    }
    if (end == std::string_view::npos) return;
    at = end + 2;
  }
}

void ResponseState::clear() {
  status_ = 200;
  encoding_decided_ = false;
  content_type_.clear();
  extra_headers_.clear();
  body_.clear();
  close_file();
  kind_ = BodyKind::kBytes;
  stream_length_ = kUnknownLength;
}

void ResponseState::reset() {
  status_ = 200;
  answered_ = false;
  close_requested_ = false;
  encoding_decided_ = false;
  trim_capacity(content_type_);
  trim_capacity(extra_headers_);
  trim_capacity(body_);
  close_file();
  kind_ = BodyKind::kBytes;
  stream_length_ = kUnknownLength;
}

void ResponseState::close_file() {
  if (file_.fd >= 0) ::close(file_.fd);
  file_ = {};
}

}  // namespace surge::detail
