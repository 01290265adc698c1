// "type": "text": a fixed response whose body is a template of the route's parameters.
//   {"type": "text", "body": "Hello, {name}!", "status": 200,
//    "content_type": "text/plain; charset=utf-8", "headers": {"Cache-Control": "no-store"}}

#include "config/handlers/fixed_response_fields.hpp"
#include "handlers/body_template.hpp"
#include "handlers/fixed_response.hpp"
#include "http/grammar.hpp"

namespace surge::detail {
namespace {

struct TextHandlerConfig {
  int status = 200;                                        // 200..599
  std::string body;                                        // `{name}`: parameter name; `{{`, `}}`: braces
  std::string content_type = "text/plain; charset=utf-8";  // a field value
  HeaderList headers;                                      // extra response headers, in order

  bool operator==(const TextHandlerConfig&) const = default;
};

TextHandlerConfig read_config(ObjectReader& handler, const HandlerReadContext& route) {
  TextHandlerConfig c;
  c.status = read_status(handler);
  handler.string("body", c.body);
  handler.string("content_type", c.content_type);
  if (!is_field_value(c.content_type)) handler.fail("content_type", "control characters are not allowed");
  read_headers(handler, "headers", c.headers);
  check_placeholders(handler, "body", c.body, route, /*brace_escapes=*/true);
  return c;
}

Handler make_handler(const TextHandlerConfig& c, const HandlerBuildContext& route) {
  return FixedResponse(c.status, c.content_type, c.headers,
                       BodyTemplate(c.body, route.params, BodyTemplate::Escape::kNone), route.compression);
}

}  // namespace

HandlerKind text_kind() { return handler_kind<TextHandlerConfig>("text", read_config, make_handler); }

}  // namespace surge::detail
