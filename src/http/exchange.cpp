#include "http/exchange.hpp"

#include <cstring>

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

void Exchange::begin(const PeerAddress* peer) {
  peer_ = peer;
  parser_.emplace(limits_, headers_.get());
}

void Exchange::reset() {
  parser_.reset();
  base_ = nullptr;
  param_count_ = 0;
  status_ = 200;
  answered_ = false;
  close_requested_ = false;
  trim_capacity(scratch_);
  trim_capacity(content_type_);
  trim_capacity(extra_headers_);
  trim_capacity(body_);
}

bool Exchange::add_param(std::string_view name, std::string_view value) {
  if (param_count_ == params_.size()) return false;
  params_[param_count_++] = {name, value};
  return true;
}

std::string_view Exchange::param(std::string_view name) const {
  for (std::size_t i = 0; i < param_count_; ++i) {
    if (params_[i].name == name) return params_[i].value;
  }
  return {};
}

void Exchange::reserve_scratch(std::size_t total) { scratch_.prepare(total); }

char* Exchange::scratch(std::size_t n) {
  // Values handed out earlier point into the scratch buffer, so it must never move: it only gives
  // out what reserve_scratch() made room for.
  if (scratch_.capacity() - scratch_.size() < n) return nullptr;
  char* p = scratch_.data() + scratch_.size();
  scratch_.commit(n);
  return p;
}

void Exchange::set_content_type(std::string_view type) {
  content_type_.clear();
  content_type_.append(type);
}

void Exchange::append_header(std::string_view name, std::string_view value) {
  char* p = extra_headers_.prepare(name.size() + value.size() + 4);
  std::memcpy(p, name.data(), name.size());
  p += name.size();
  *p++ = ':';
  *p++ = ' ';
  std::memcpy(p, value.data(), value.size());
  p += value.size();
  *p++ = '\r';
  *p++ = '\n';
  extra_headers_.commit(name.size() + value.size() + 4);
}

}  // namespace surge::detail
