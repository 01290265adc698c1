#include "handlers/fixed_response.hpp"

namespace surge::detail {

FixedResponse::FixedResponse(int status, std::string content_type,
                             std::vector<std::pair<std::string, std::string>> headers,
                             BodyTemplate body)
    : status_(status),
      content_type_(std::move(content_type)),
      headers_(std::move(headers)),
      body_(std::move(body)) {}

void FixedResponse::operator()(Context& ctx) const {
  Response& response = ctx.response();
  response.set_status(status_);
  response.set_content_type(content_type_);
  for (const auto& [name, value] : headers_) response.add_header(name, value);
  if (body_.is_static()) {
    response.set_body(body_.text());
  } else {
    body_.render(ctx);
  }
}

}  // namespace surge::detail
