#pragma once
// Handler kinds: what a route's "handler": {"type": ...} object can be. A kind is its type name,
// a reader (the handler object -> the kind's config) and a factory (config -> surge::Handler);
// each lives in one file of src/config/handlers/, and the table of them is built once
// (builtin_handler_kinds()). A route holds its handler as a HandlerConfig: the kind's config
// behind a shared immutable HandlerSpec, compared by value.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <surge/compression.hpp>
#include <surge/handler.hpp>

namespace surge::detail {

class ObjectReader;
struct DaemonConfig;
struct ClusterHandle;

/// The upstreams of one built router by name, resolved once and shared by its proxy routes.
using UpstreamHandles = std::map<std::string, std::shared_ptr<const ClusterHandle>, std::less<>>;

/// What a kind's reader is told about the route besides its handler object.
struct HandlerReadContext {
  std::string_view pattern;                // the route's path pattern ("/users/:id")
  const std::vector<std::string>& params;  // the parameters the pattern binds, in order
  // Every top-level section but "routes", already read: a kind may look a name up in them (a
  // proxy route names one of the "upstreams") and refuse an unknown one at its JSON path.
  const DaemonConfig& config;
};

/// What the router builder gives a kind's factory.
struct HandlerBuildContext {
  std::string_view pattern;
  const std::vector<std::string>& params;
  const DaemonConfig& config;  // the whole configuration the route belongs to
  const UpstreamHandles* upstreams = nullptr;  // "upstreams", built once per router
  // The route's response compression (its own, else the section's); null: none.
  const CompressionConfig* compression = nullptr;
};

/// One handler as configured: a kind's config, immutable once read. make() may be called once per
/// built router (each reload); it throws std::invalid_argument for what can only be found then (a
/// files root that cannot be opened).
class HandlerSpec {
 public:
  virtual ~HandlerSpec() = default;
  virtual std::string_view type() const = 0;
  virtual Handler make(const HandlerBuildContext& route) const = 0;
  /// Same kind and equal config.
  virtual bool equals(const HandlerSpec& other) const = 0;
  /// The handler takes the request body as it arrives (RouteOptions::stream_body).
  virtual bool streams_body() const { return false; }
};

/// A route's handler: a HandlerSpec shared by the copies of a configuration, compared by value.
/// Empty only in a RouteConfig not (yet) read.
class HandlerConfig final {
 public:
  HandlerConfig() = default;
  explicit HandlerConfig(std::shared_ptr<const HandlerSpec> spec) : spec_(std::move(spec)) {}

  bool empty() const { return spec_ == nullptr; }
  /// The kind's type name ("text"); "" when empty.
  std::string_view type() const { return spec_ ? spec_->type() : std::string_view(); }
  /// The handler; precondition: !empty().
  Handler make(const HandlerBuildContext& route) const { return spec_->make(route); }
  bool streams_body() const { return spec_ != nullptr && spec_->streams_body(); }
  /// The spec as its concrete type, or null when it is of another kind (tests look inside).
  template <class Spec>
  const Spec* as() const {
    return dynamic_cast<const Spec*>(spec_.get());
  }

  bool operator==(const HandlerConfig& other) const {
    if (spec_ == nullptr || other.spec_ == nullptr) return spec_ == other.spec_;
    return spec_ == other.spec_ || spec_->equals(*other.spec_);
  }

 private:
  std::shared_ptr<const HandlerSpec> spec_;
};

/// A kind whose config is the plain struct Config (with a defaulted operator==), built by `make`.
template <class Config>
class ConfiguredHandler final : public HandlerSpec {
 public:
  using Make = Handler (*)(const Config&, const HandlerBuildContext&);

  ConfiguredHandler(std::string_view type, Config config, Make factory, bool streams_body = false)
      : type_(type), config_(std::move(config)), make_(factory), streams_body_(streams_body) {}
  bool streams_body() const override { return streams_body_; }

  std::string_view type() const override { return type_; }
  Handler make(const HandlerBuildContext& route) const override { return make_(config_, route); }
  bool equals(const HandlerSpec& other) const override {
    const auto* same = dynamic_cast<const ConfiguredHandler*>(&other);
    return same != nullptr && same->type_ == type_ && same->config_ == config_;
  }
  const Config& config() const { return config_; }

 private:
  std::string_view type_;  // a string literal
  Config config_;
  Make make_;
  bool streams_body_;
};

/// One entry of the table of kinds.
struct HandlerKind {
  std::string_view type;  // the "type" that selects it; a string literal
  std::function<HandlerConfig(ObjectReader& handler, const HandlerReadContext& route)> read;
};

/// The kinds a configuration may name, in the order error messages list them.
using HandlerKinds = std::vector<HandlerKind>;

/// The kind `type` whose reader reads the handler object into a Config and whose factory is
/// `make`: what a kind's file returns for the table.
template <class Config>
HandlerKind handler_kind(std::string_view type, Config (*read)(ObjectReader&, const HandlerReadContext&),
                         typename ConfiguredHandler<Config>::Make make, bool streams_body = false) {
  return {type, [type, read, make, streams_body](ObjectReader& handler, const HandlerReadContext& route) {
            return HandlerConfig(
                std::make_shared<const ConfiguredHandler<Config>>(type, read(handler, route), make, streams_body));
          }};
}

/// Reads a route's handler object: its "type" picks the kind from `kinds`, whose reader reads
/// the rest. An unknown or missing type is a ConfigError at ".../type" listing the known ones.
HandlerConfig read_handler(ObjectReader& handler, const HandlerReadContext& route, const HandlerKinds& kinds);

}  // namespace surge::detail
