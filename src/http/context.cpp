// The public Request / Response / Context accessors, over the engine's Exchange.
#include <surge/context.hpp>

#include <cstring>

#include <nlohmann/json.hpp>

#include "http/exchange.hpp"
#include "http/grammar.hpp"

namespace surge {
namespace {

using detail::iequals;
using detail::is_engine_field;
using detail::is_field_value;
using detail::is_token;

}  // namespace

Method Request::method() const { return ex_->head().method; }
std::string_view Request::method_name() const { return ex_->view(ex_->head().method_text); }
std::string_view Request::target() const { return ex_->view(ex_->head().target); }
std::string_view Request::path() const {
  std::string_view path = ex_->view(ex_->head().path);
  return path.empty() ? std::string_view("/") : path;
}
std::string_view Request::query() const { return ex_->view(ex_->head().query); }
int Request::version() const { return ex_->head().version; }
std::string_view Request::host() const { return ex_->view(ex_->head().host); }
std::size_t Request::header_count() const { return ex_->head().header_count; }
HeaderField Request::header_at(std::size_t index) const {
  const detail::HeaderEntry& entry = ex_->header(index);
  return {ex_->view(entry.name), ex_->view(entry.value)};
}
std::optional<std::string_view> Request::header(std::string_view name) const {
  // Well-known names compare as field numbers; others by case-insensitive text.
  const std::uint16_t field = detail::field_code(name);
  const std::size_t count = ex_->head().header_count;
  for (std::size_t i = 0; i < count; ++i) {
    const detail::HeaderEntry& entry = ex_->header(i);
    bool match = field != 0 ? entry.field == field : iequals(ex_->view(entry.name), name);
    if (match) return ex_->view(entry.value);
  }
  return std::nullopt;
}
std::string_view Request::body() const { return ex_->view(ex_->head().body); }
const PeerAddress& Request::peer() const { return ex_->peer(); }

void Response::set_status(int status) {
  ex_->response().set_status(status);
  ex_->response().mark_answered();
}
int Response::status() const { return ex_->response().status(); }
bool Response::add_header(std::string_view name, std::string_view value) {
  if (!is_token(name) || !is_field_value(value) || is_engine_field(name)) return false;
  ex_->response().append_header(name, value);  // a header alone is not an answer (middleware add them early)
  return true;
}
void Response::set_content_type(std::string_view type) {
  if (is_field_value(type)) ex_->response().set_content_type(type);
  ex_->response().mark_answered();
}
void Response::set_body(std::string_view bytes) {
  ex_->response().body().clear();
  ex_->response().body().append(bytes);
  ex_->response().mark_answered();
}
void Response::append_body(std::string_view bytes) {
  ex_->response().body().append(bytes);
  ex_->response().mark_answered();
}
std::string_view Response::body() const { return ex_->response().body().view(); }
void Response::set_file_body(int fd, std::uint64_t offset, std::uint64_t length) {
  ex_->response().set_file_body(fd, offset, length);
  ex_->response().mark_answered();
}
void Response::close_connection() { ex_->response().request_close(); }
void Response::clear() {
  ex_->response().clear();
}

namespace detail {
Exchange& exchange_of(Context& ctx) { return *ctx.request_.ex_; }
}  // namespace detail

std::string_view Context::param(std::string_view name) const { return request_.ex_->param(name); }
std::string_view Context::route() const { return request_.ex_->route().pattern; }
std::size_t Context::worker() const { return request_.ex_->worker_index(); }
std::string_view Context::request_id() const { return request_.ex_->request_id(); }
void Context::set_request_id(std::string_view id) { request_.ex_->set_request_id(copy(id)); }
void* Context::allocate(std::size_t bytes) { return request_.ex_->arena().allocate(bytes); }
std::string_view Context::copy(std::string_view text) {
  if (text.empty()) return {};
  auto* p = static_cast<char*>(allocate(text.size()));
  std::memcpy(p, text.data(), text.size());
  return {p, text.size()};
}
bool Context::deferred() const { return request_.ex_->async().pending; }
bool Context::on_complete(Middleware* middleware, std::uint64_t cookie) {
  return middleware != nullptr && request_.ex_->add_completion_call(middleware, cookie);
}
std::chrono::steady_clock::time_point Context::started() const { return request_.ex_->started(); }

void Context::text(int status, std::string_view body) {
  response_.set_status(status);
  response_.set_content_type("text/plain; charset=utf-8");
  response_.set_body(body);
}

void Context::json_raw(int status, std::string_view json_text) {
  response_.set_status(status);
  response_.set_content_type("application/json");
  response_.set_body(json_text);
}

void Context::json(int status, const nlohmann::json& value) {
  // Invalid UTF-8 in a string is replaced rather than thrown about: a handler echoing client
  // input must not turn into a 500.
  const std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  json_raw(status, text);
}

}  // namespace surge
