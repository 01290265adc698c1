#include "http/exchange.hpp"

#include <unistd.h>

#include <cstring>

#include <surge/middleware.hpp>

namespace surge::detail {
namespace {

// A pooled exchange keeps this much of each buffer between requests; a larger one (a big body)
// is handed back, so memory stays proportional to the traffic in progress.
constexpr std::size_t kRetainedBytes = 64 * 1024;

void trim_capacity(ByteBuffer& buffer) {
  buffer.clear();
  if (buffer.capacity() > kRetainedBytes) buffer.release();
}

}  // namespace

Exchange::Exchange(const ParserLimits& limits, SlabPool* body_pool)
    : limits_(limits),
      headers_(std::make_unique<HeaderEntry[]>(limits.max_header_count)),
      context_(*this),
      body_(body_pool) {}

Exchange::~Exchange() { close_file(); }

void Exchange::begin(const PeerAddress* peer, Worker* worker, std::size_t worker_index) {
  peer_ = peer;
  worker_ = worker;
  worker_index_ = worker_index;
  parser_.emplace(limits_, headers_.get());
}

void Exchange::reset() {
  parser_.reset();
  base_ = nullptr;
  route_ = nullptr;
  route_pattern_ = {};
  route_index_ = kNoRoute;
  completion_count_ = 0;
  miss_ = 0;
  miss_pattern_ = 0;
  param_count_ = 0;
  arena_.reset();
  request_id_ = {};
  status_ = 200;
  answered_ = false;
  close_requested_ = false;
  deferred_ = false;
  deferred_slot_ = 0;
  handler_timeout_ = std::chrono::milliseconds(0);
  trim_capacity(content_type_);
  trim_capacity(extra_headers_);
  trim_capacity(body_);
  close_file();
}

bool Exchange::add_param(std::string_view name, std::string_view value) {
  if (param_count_ == params_.size()) return false;
  params_[param_count_++] = {name, value, {}, false};
  return true;
}

bool Exchange::add_buffer_param(std::string_view name, Span value) {
  if (param_count_ == params_.size()) return false;
  params_[param_count_++] = {name, {}, value, true};
  return true;
}

std::string_view Exchange::param(std::string_view name) const {
  for (std::size_t i = 0; i < param_count_; ++i) {
    const PathParam& p = params_[i];
    if (p.name == name) return p.buffered ? view(p.in_buffer) : p.stable;
  }
  return {};
}

bool Exchange::add_completion_call(Middleware* middleware, std::uint64_t cookie) {
  if (completion_count_ == kMaxCompletionCalls) return false;
  completion_calls_[completion_count_++] = {middleware, cookie};
  return true;
}

void Exchange::run_completion_calls() {
  // Innermost first, as the chain unwinds. Cleared first so a callback cannot recurse into it.
  std::uint8_t count = completion_count_;
  completion_count_ = 0;
  while (count > 0) {
    const CompletionCall& call = completion_calls_[--count];
    call.middleware->on_complete(context_, call.cookie);
  }
}

void Exchange::set_content_type(std::string_view type) {
  content_type_.clear();
  content_type_.append(type);
}

void Exchange::append_header(std::string_view name, std::string_view value) {
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

void Exchange::set_file_body(int fd, std::uint64_t offset, std::uint64_t length) {
  close_file();
  body_.clear();
  file_ = {fd, offset, length};
}

FileBody Exchange::take_file_body() {
  FileBody file = file_;
  file_ = {};
  return file;
}

void Exchange::clear_response() {
  status_ = 200;
  content_type_.clear();
  extra_headers_.clear();
  body_.clear();
  close_file();
}

void Exchange::close_file() {
  if (file_.fd >= 0) ::close(file_.fd);
  file_ = {};
}

}  // namespace surge::detail
