#include "router/router_app.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "http/exchange.hpp"
#include "http/grammar.hpp"

namespace surge::detail {
namespace {

// Allow names methods; kOther stands for tokens nobody can list.
std::string allow_list(const std::array<bool, kMethodCount>& methods) {
  std::string out;
  for (std::size_t m = 0; m < kMethodCount; ++m) {
    if (!methods[m] || static_cast<Method>(m) == Method::kOther) continue;
    if (!out.empty()) out += ", ";
    out += to_string(static_cast<Method>(m));
  }
  return out;
}

std::vector<Middleware*> raw(const MiddlewareList& list) {
  std::vector<Middleware*> out;
  for (const auto& m : list) out.push_back(m.get());
  return out;
}

}  // namespace

RouterApp::RouterApp(const RouteTable& table, RouterOptions options) : options_(options) {
  owned_ = table.global;
  // One frozen policy per distinct configuration: routes configured alike share it.
  std::vector<std::pair<CompressionConfig, std::shared_ptr<const CompressionPolicy>>> policies;
  const auto policy_for = [&](const std::optional<CompressionConfig>& own) -> std::shared_ptr<const CompressionPolicy> {
    const CompressionConfig& config = own ? *own : options_.compression;
    if (!config.enabled) return nullptr;
    for (const auto& [seen, policy] : policies) {
      if (seen == config) return policy;
    }
    try {
      policies.emplace_back(config, std::make_shared<const CompressionPolicy>(config));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("compression/") + e.what());
    }
    return policies.back().second;
  };
  std::array<bool, kMethodCount> anywhere{};
  std::unordered_map<std::string, std::uint32_t> pattern_index;
  for (const RouteSpec& spec : table.routes) {
    // One tree value per pattern; each pattern has a slot per method.
    auto [it, added] = pattern_index.try_emplace(spec.pattern, static_cast<std::uint32_t>(patterns_.size()));
    if (added) {
      tree_.insert(spec.pattern, it->second);
      Pattern p;
      p.routes.fill(kNone);
      patterns_.push_back(std::move(p));
    }
    std::vector<Middleware*> chain = raw(table.global);
    for (const auto& m : spec.group_middleware) chain.push_back(m.get());
    for (const auto& m : spec.options.middleware) chain.push_back(m.get());
    owned_.insert(owned_.end(), spec.group_middleware.begin(), spec.group_middleware.end());
    owned_.insert(owned_.end(), spec.options.middleware.begin(), spec.options.middleware.end());
    routes_.push_back({Chain(std::move(chain), spec.handler), spec.pattern,
                       static_cast<std::uint32_t>(routes_.size()), spec.method,
                       spec.options.max_body_bytes, spec.options.timeout, spec.options.stream_body,
                       policy_for(spec.options.compression)});
    patterns_[it->second].routes[static_cast<std::size_t>(spec.method)] =
        static_cast<std::uint32_t>(routes_.size() - 1);
    anywhere[static_cast<std::size_t>(spec.method)] = true;
  }
  // Allow lists: what each pattern answers, including the automatic HEAD and OPTIONS.
  anywhere[static_cast<std::size_t>(Method::kOptions)] = true;
  for (Pattern& p : patterns_) {
    std::array<bool, kMethodCount> methods{};
    for (std::size_t m = 0; m < kMethodCount; ++m) methods[m] = p.routes[m] != kNone;
    if (methods[static_cast<std::size_t>(Method::kGet)]) methods[static_cast<std::size_t>(Method::kHead)] = true;
    methods[static_cast<std::size_t>(Method::kOptions)] = true;
    p.allow = allow_list(methods);
  }
  if (anywhere[static_cast<std::size_t>(Method::kGet)]) anywhere[static_cast<std::size_t>(Method::kHead)] = true;
  allow_all_ = allow_list(anywhere);
  unmatched_ = Chain(raw(table.global), [this](Context& ctx) { answer_unmatched(ctx); });
  // Deduplicate so attach() reaches each middleware once.
  std::sort(owned_.begin(), owned_.end());
  owned_.erase(std::unique(owned_.begin(), owned_.end()), owned_.end());
}

void RouterApp::attach(std::size_t workers) const {
  for (const auto& m : owned_) m->attach(workers);
}

void RouterApp::control_tick(std::chrono::steady_clock::time_point now) const {
  for (const auto& m : owned_) m->control_tick(now);
}

void RouterApp::collect_metrics(MetricSink& sink) const {
  // Middleware with metrics of their own say so by being MetricsProviders.
  for (const auto& m : owned_) {
    if (const auto* provider = dynamic_cast<const MetricsProvider*>(m.get())) provider->collect(sink);
  }
}

std::vector<std::string> RouterApp::route_labels() const {
  // One label per route index. A pattern registered for several methods appears once per
  // method; the metrics add the method as its own label.
  std::vector<std::string> labels;
  labels.reserve(routes_.size());
  for (const RouteEntry& route : routes_) labels.push_back(route.pattern);
  return labels;
}

RequestError RouterApp::on_header(Exchange& exchange) const {
  const RequestHead& head = exchange.head();
  std::string_view path = exchange.view(head.path);
  // Parameters are views of the read buffer, unless the path routed is a copy of it.
  bool path_in_buffer = true;
  if (path.empty()) {
    path = "/";
    path_in_buffer = false;
  } else if (has_encoded_unreserved(path)) {
    // "/plaintex%74" is "/plaintext" (RFC 3986 6.2.2.2); other escapes, %2F above all, stay.
    auto* copy = static_cast<char*>(exchange.arena().allocate(path.size()));
    path = {copy, decode_unreserved(path, copy)};
    path_in_buffer = false;
  }
  if (path == "*") {  // OPTIONS * (the parser allows "*" for OPTIONS only)
    exchange.route().miss = RouteMiss::kOptionsStar;
    return RequestError::kNone;
  }
  std::array<ParamMatch, RadixTree::kMaxParams> params;
  std::size_t count = 0;
  std::uint32_t index = tree_.find(path, params, count);
  if (index == RadixTree::kNoMatch) {
    if (head.method == Method::kOther) return RequestError::kMethodNotImplemented;
    bool redirect = options_.trailing_slash == TrailingSlash::kRedirect &&
                    tree_.has_toggled_slash_match(path);
    exchange.route().miss = redirect ? RouteMiss::kRedirect : RouteMiss::kNotFound;
    return RequestError::kNone;
  }
  const Pattern& pattern = patterns_[index];
  std::uint32_t r = pattern.routes[static_cast<std::size_t>(head.method)];
  if (r == kNone && head.method == Method::kHead) r = pattern.routes[static_cast<std::size_t>(Method::kGet)];
  if (r == kNone) {
    // A method surge does not implement, on a path with no route for every method: 501, as if
    // the parser had refused it (RFC 9110 15.6.2), never a 405 with an Allow list.
    if (head.method == Method::kOther) return RequestError::kMethodNotImplemented;
    exchange.route().miss = head.method == Method::kOptions ? RouteMiss::kOptions : RouteMiss::kMethodNotAllowed;
    exchange.route().miss_pattern = index;
    return RequestError::kNone;
  }
  const RouteEntry& route = routes_[r];
  RouteMatch& match = exchange.route();
  match.route = &route;
  match.pattern = route.pattern;
  match.index = route.index;
  match.handler_timeout = route.timeout;
  match.streams_body = route.stream_body;
  match.compression = route.compression.get();
  if (!bind_params(exchange, params.data(), count, path_in_buffer)) return RequestError::kBadTarget;
  if (route.max_body_bytes != 0) {
    if (head.has_content_length && head.content_length > route.max_body_bytes) {
      return RequestError::kRouteBodyTooLarge;
    }
    exchange.parser().limit_body(route.max_body_bytes);
  }
  return RequestError::kNone;
}

bool RouterApp::bind_params(Exchange& exchange, const ParamMatch* params, std::size_t count,
                            bool in_buffer) const {
  for (std::size_t i = 0; i < count; ++i) {
    const std::string_view value = params[i].value;
    if (value.find('%') == std::string_view::npos) {
      // The read buffer may move before the handler runs (it grows for a body, it is compacted):
      // a view of it would then show whatever the buffer's new owner put there. Keep offsets.
      if (in_buffer) {
        exchange.add_buffer_param(params[i].name, exchange.span_of(value));
      } else {
        exchange.add_param(params[i].name, value);
      }
      continue;
    }
    // Decoded values never grow: room for the raw size is enough.
    auto* out = static_cast<char*>(exchange.arena().allocate(value.size()));
    long n = percent_decode(value, out);
    if (n < 0) return false;
    exchange.add_param(params[i].name, {out, static_cast<std::size_t>(n)});
  }
  return true;
}

void RouterApp::handle(Exchange& exchange) const {
  const RouteEntry* route = exchange.route().route;
  if (route != nullptr) {
    route->chain.run(exchange.context());
  } else {
    unmatched_.run(exchange.context());
  }
}

void RouterApp::answer_unmatched(Context& ctx) const {
  Exchange& exchange = exchange_of(ctx);
  switch (exchange.route().miss) {
    case RouteMiss::kMethodNotAllowed:
      ctx.text(405, "method not allowed\n");
      ctx.response().add_header("Allow", patterns_[exchange.route().miss_pattern].allow);
      return;
    case RouteMiss::kOptions:
      ctx.response().set_status(204);
      ctx.response().add_header("Allow", patterns_[exchange.route().miss_pattern].allow);
      return;
    case RouteMiss::kOptionsStar:
      ctx.response().set_status(204);
      ctx.response().add_header("Allow", allow_all_);
      return;
    case RouteMiss::kRedirect: {
      // "/users/" <-> "/users", keeping the query; 308 keeps the method and the body.
      std::string_view path = ctx.request().path();
      std::string_view query = ctx.request().query();
      std::size_t size = path.size() + 1 + (query.empty() ? 0 : query.size() + 1);
      auto* location = static_cast<char*>(ctx.allocate(size));
      std::size_t n = 0;
      bool strip = path.size() > 1 && path.back() == '/';
      std::string_view kept = strip ? path.substr(0, path.size() - 1) : path;
      kept.copy(location, kept.size());
      n = kept.size();
      if (!strip) location[n++] = '/';
      if (!query.empty()) {
        location[n++] = '?';
        query.copy(location + n, query.size());
        n += query.size();
      }
      ctx.text(308, "moved permanently\n");
      ctx.response().add_header("Location", {location, n});
      return;
    }
    case RouteMiss::kNone:
    case RouteMiss::kNotFound:
      ctx.text(404, "not found\n");
      return;
  }
}

}  // namespace surge::detail
