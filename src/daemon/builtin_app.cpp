#include "daemon/builtin_app.hpp"

#include <string>

#include <nlohmann/json.hpp>

#include "http/exchange.hpp"

namespace surge::detail {
namespace {

class BuiltinApp final : public Application {
 public:
  explicit BuiltinApp(std::shared_ptr<const Readiness> readiness)
      : readiness_(std::move(readiness)),
        json_(nlohmann::json{{"message", "Hello, World!"}}.dump()) {}

  bool on_header(Exchange&) const override { return false; }

  void handle(Exchange& exchange) const override {
    Context& ctx = exchange.context();
    const Request& request = ctx.request();
    std::string_view path = request.path();
    bool known = path == "/plaintext" || path == "/json" || path == "/healthz" || path == "/readyz";
    if (!known) {
      ctx.text(404, "not found\n");
      return;
    }
    if (request.method() != Method::kGet && request.method() != Method::kHead) {
      ctx.text(405, "method not allowed\n");
      ctx.response().add_header("Allow", "GET, HEAD");
      return;
    }
    if (path == "/plaintext") {
      ctx.text(200, "Hello, World!");
    } else if (path == "/json") {
      ctx.json(200, json_);
    } else if (path == "/healthz") {
      ctx.text(200, "ok\n");
    } else if (readiness_->ready()) {
      ctx.text(200, "ready\n");
    } else {
      ctx.text(503, "draining\n");
    }
  }

 private:
  std::shared_ptr<const Readiness> readiness_;
  std::string json_;
};

}  // namespace

std::shared_ptr<const Application> make_builtin_app(std::shared_ptr<const Readiness> readiness) {
  return std::make_shared<BuiltinApp>(std::move(readiness));
}

}  // namespace surge::detail
