#include "daemon/app_builder.hpp"

#include <stdexcept>

#include <surge/builtin_middleware.hpp>
#include <surge/error.hpp>

#include "handlers/body_template.hpp"
#include "handlers/echo.hpp"
#include "handlers/fixed_response.hpp"
#include "handlers/static_files.hpp"

namespace surge::detail {
namespace {

Handler make_handler(const RouteConfig& route) {
  const std::vector<std::string> params = pattern_parameters(route.path);
  if (const auto* text = std::get_if<TextHandlerConfig>(&route.handler)) {
    return FixedResponse(text->status, text->content_type, text->headers,
                         BodyTemplate(text->body, params, BodyTemplate::Escape::kNone));
  }
  if (const auto* json = std::get_if<JsonHandlerConfig>(&route.handler)) {
    return FixedResponse(json->status, "application/json", json->headers,
                         BodyTemplate(json->body_json, params, BodyTemplate::Escape::kJson));
  }
  if (std::holds_alternative<EchoHandlerConfig>(route.handler)) return echo_request;
  const auto& files = std::get<FilesHandlerConfig>(route.handler);
  auto server = std::make_shared<const StaticFiles>(
      StaticFilesConfig{files.root, files.index, files.max_age});
  std::string catch_all = params.back();
  return [server, catch_all](Context& ctx) { server->serve(ctx, ctx.param(catch_all)); };
}

void add_builtins(Router& router, const BuiltinsConfig& builtins,
                  std::shared_ptr<const Readiness> readiness) {
  if (builtins.healthz) {
    router.get("/healthz", [](Context& ctx) { ctx.text(200, "ok\n"); });
  }
  if (builtins.readyz) {
    router.get("/readyz", [readiness](Context& ctx) {
      if (readiness->ready()) {
        ctx.text(200, "ready\n");
      } else {
        ctx.text(503, "draining\n");
      }
    });
  }
}

void add_middleware(Router& router, const MiddlewareConfig& config,
                    std::shared_ptr<spdlog::logger> log) {
  // The order is the one documented in <surge/builtin_middleware.hpp>: recover outermost, then
  // request ids, then CORS (whose preflights must not count against anything after it).
  if (config.recover) router.use(make_recover(std::move(log), config.recover_config));
  if (config.request_id) router.use(make_request_id(config.request_id_config));
  if (config.cors) router.use(make_cors(config.cors_config));
}

}  // namespace

Router build_router(const DaemonConfig& config, const std::string& file,
                    std::shared_ptr<const Readiness> readiness,
                    std::shared_ptr<spdlog::logger> log) {
  Router router;
  add_middleware(router, config.middleware, std::move(log));
  try {
    add_builtins(router, config.builtins, std::move(readiness));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(file, "/builtins", e.what());
  }
  for (const RouteConfig& route : config.routes) {
    try {
      Handler handler = make_handler(route);
      for (Method method : route.methods) {
        router.handle(method, route.path, handler,
                      RouteOptions{.max_body_bytes = route.max_body_bytes, .timeout = route.timeout});
      }
    } catch (const std::invalid_argument& e) {
      throw ConfigError(file, route.json_path, e.what());
    }
  }
  return router;
}

}  // namespace surge::detail
