// "type": "json": a fixed JSON response (any JSON value) whose strings are templates of the
// route's parameters, JSON-escaped when rendered.
//   {"type": "json", "body": {"id": "{id}", "tags": ["user-{id}"]}, "status": 200, "headers": {}}

#include "config/handlers/fixed_response_fields.hpp"
#include "handlers/body_template.hpp"
#include "handlers/fixed_response.hpp"

namespace surge::detail {
namespace {

struct JsonHandlerConfig {
  int status = 200;                // 200..599
  std::string body_json = "null";  // the body, serialised compactly
  HeaderList headers;              // extra response headers, in order

  bool operator==(const JsonHandlerConfig&) const = default;
};

JsonHandlerConfig read_config(ObjectReader& handler, const HandlerReadContext& route) {
  JsonHandlerConfig c;
  c.status = read_status(handler);
  if (const std::optional<JsonValue> body = handler.value("body")) c.body_json = body->dump();
  read_headers(handler, "headers", c.headers);
  check_placeholders(handler, "body", c.body_json, route, /*brace_escapes=*/false);
  return c;
}

Handler make_handler(const JsonHandlerConfig& c, const HandlerBuildContext& route) {
  return FixedResponse(c.status, "application/json", c.headers,
                       BodyTemplate(c.body_json, route.params, BodyTemplate::Escape::kJson), route.compression);
}

}  // namespace

HandlerKind json_kind() { return handler_kind<JsonHandlerConfig>("json", read_config, make_handler); }

}  // namespace surge::detail
