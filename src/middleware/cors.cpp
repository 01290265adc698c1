#include "middleware/cors.hpp"

#include <algorithm>

#include <surge/context.hpp>

namespace surge {
namespace detail {
namespace {

constexpr std::string_view kPreflightVary =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

std::string join(const std::vector<std::string>& items) {
  std::string joined;
  for (const std::string& item : items) {
    if (!joined.empty()) joined += ", ";
    joined += item;
  }
  return joined;
}

bool contains(const std::vector<std::string>& items, std::string_view item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

// Browsers serialize an origin with scheme and host lowercased (the URL parser does it), and the
// Fetch standard's CORS check compares serializations byte for byte; so configured entries are
// lowercased once and requests compared exactly.
std::string lowercase(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  }
  return text;
}

}  // namespace

Cors::Cors(const CorsConfig& config)
    : credentials_(config.allow_credentials), max_age_value_(std::to_string(config.max_age)) {
  for (const std::string& origin : config.allowed_origins) {
    if (origin == "*") {
      any_origin_ = true;
    } else {
      origins_.push_back(lowercase(origin));
    }
  }
  for (const std::string& method : config.allowed_methods) {
    if (method == "*") {
      any_method_ = true;
    } else {
      methods_.push_back(method);
    }
  }
  // "*" is a wildcard to browsers only without credentials; with them, reflect what was asked.
  varies_ = !any_origin_ || credentials_;
  methods_value_ = any_method_ && !credentials_ ? "*" : join(methods_);
  const bool any_header = contains(config.allowed_headers, "*");
  reflect_headers_ = config.allowed_headers.empty() || (any_header && credentials_);
  headers_value_ = any_header ? "*" : join(config.allowed_headers);
  exposed_value_ = join(config.exposed_headers);
}

void Cors::handle(Context& ctx, Next& next) {
  Shard& shard = shards_[ctx.worker()];
  const Request& request = ctx.request();
  Response& response = ctx.response();
  const std::optional<std::string_view> origin = request.header("Origin");
  if (origin && !origin->empty() && request.method() == Method::kOptions) {
    if (const auto method = request.header("Access-Control-Request-Method")) {
      preflight(ctx, *origin, *method, shard);
      return;
    }
  }
  // Even a request without Origin: a cache must not serve its answer (no Allow-Origin) to a
  // cross-origin request later, nor the reverse (Fetch standard, "CORS protocol and HTTP caches").
  if (varies_) response.add_header("Vary", "Origin");
  if (origin && !origin->empty()) {
    if (origin_allowed(*origin)) {
      allow_origin(response, *origin);
      if (!exposed_value_.empty()) {
        response.add_header("Access-Control-Expose-Headers", exposed_value_);
      }
    } else {
      shard.rejected.add();
    }
  }
  next();
}

void Cors::preflight(Context& ctx, std::string_view origin, std::string_view method,
                     Shard& shard) const {
  shard.preflights.add();
  Response& response = ctx.response();
  response.add_header("Vary", kPreflightVary);
  if (!origin_allowed(origin)) {
    shard.rejected.add();
    ctx.text(403, "cors: origin not allowed\n");
    return;
  }
  if (!method_allowed(method)) {
    shard.rejected.add();
    ctx.text(403, "cors: method not allowed\n");
    return;
  }
  response.set_status(204);
  allow_origin(response, origin);
  response.add_header("Access-Control-Allow-Methods",
                      any_method_ && credentials_ ? method : std::string_view(methods_value_));
  if (reflect_headers_) {
    const auto requested = ctx.request().header("Access-Control-Request-Headers");
    if (requested && !requested->empty()) {
      response.add_header("Access-Control-Allow-Headers", *requested);
    }
  } else if (!headers_value_.empty()) {
    response.add_header("Access-Control-Allow-Headers", headers_value_);
  }
  response.add_header("Access-Control-Max-Age", max_age_value_);
}

bool Cors::origin_allowed(std::string_view origin) const {
  // An opaque origin ("null": sandboxed frames, file: pages, some redirects) is anyone's; a
  // credentialed wildcard must not hand it the user's cookies.
  if (any_origin_) return !(credentials_ && origin == "null");
  return contains(origins_, origin);
}

bool Cors::method_allowed(std::string_view method) const {
  return any_method_ || contains(methods_, method);
}

void Cors::allow_origin(Response& response, std::string_view origin) const {
  response.add_header("Access-Control-Allow-Origin", varies_ ? origin : std::string_view("*"));
  if (credentials_) response.add_header("Access-Control-Allow-Credentials", "true");
}

CorsCounters Cors::counters() const {
  CorsCounters sum;
  for (const Shard& shard : shards_) {
    sum.preflights += shard.preflights.value();
    sum.rejected += shard.rejected.value();
  }
  return sum;
}

void Cors::collect(MetricSink& sink) const {
  const CorsCounters c = counters();
  sink.counter("surge_cors_preflights_total", "CORS preflights answered.", {}, static_cast<double>(c.preflights));
  sink.counter("surge_cors_rejected_total", "CORS preflights refused (403) and requests from origins not allowed.",
               {}, static_cast<double>(c.rejected));
}

}  // namespace detail

MiddlewarePtr make_cors(const CorsConfig& config) {
  return std::make_shared<detail::Cors>(config);
}


}  // namespace surge
