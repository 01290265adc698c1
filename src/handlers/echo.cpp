#include "handlers/echo.hpp"

#include <nlohmann/json.hpp>

namespace surge::detail {

void echo_request(Context& ctx) {
  const Request& request = ctx.request();
  nlohmann::json headers = nlohmann::json::array();
  for (std::size_t i = 0; i < request.header_count(); ++i) {
    HeaderField field = request.header_at(i);
    headers.push_back({field.name, field.value});
  }
  nlohmann::json echo = {
      {"method", request.method_name()},
      {"target", request.target()},
      {"path", request.path()},
      {"query", request.query()},
      {"version", request.version() == 10 ? "HTTP/1.0" : "HTTP/1.1"},
      {"peer", request.peer().ip_string()},
      {"headers", std::move(headers)},
      {"body", request.body()},
  };
  if (!ctx.request_id().empty()) echo["request_id"] = ctx.request_id();
  ctx.json(200, echo);
}

}  // namespace surge::detail
