// "type": "echo": answers with the request as JSON (method, target, headers, body), for seeing
// what reaches surged through a load balancer.
//   {"type": "echo"}

#include "config/handler_kind.hpp"
#include "config/object_reader.hpp"
#include "handlers/echo.hpp"

namespace surge::detail {
namespace {

struct EchoHandlerConfig {
  bool operator==(const EchoHandlerConfig&) const = default;
};

EchoHandlerConfig read_config(ObjectReader&, const HandlerReadContext&) { return {}; }

Handler make_handler(const EchoHandlerConfig&, const HandlerBuildContext&) { return echo_request; }

}  // namespace

HandlerKind echo_kind() { return handler_kind<EchoHandlerConfig>("echo", read_config, make_handler); }

}  // namespace surge::detail
