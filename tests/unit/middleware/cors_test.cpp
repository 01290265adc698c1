#include "middleware/cors.hpp"

#include <string>

#include <surge/context.hpp>

#include <gtest/gtest.h>

#include "support/fake_exchange.hpp"

namespace surge::detail {
namespace {

using test::FakeExchange;
using test::request;

constexpr std::string_view kApp = "https://app.example";
constexpr std::string_view kPreflightVary =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

CorsConfig app_only() {
  CorsConfig config;
  config.allowed_origins = {std::string(kApp)};
  return config;
}

// Any origin; with `everything`, any method and header too.
CorsConfig wildcard(bool credentials, bool everything = false) {
  CorsConfig config;
  config.allowed_origins = {"*"};
  if (everything) {
    config.allowed_methods = {"*"};
    config.allowed_headers = {"*"};
  }
  config.allow_credentials = credentials;
  return config;
}

struct Served {
  std::unique_ptr<FakeExchange> fx;
  bool next_called = false;
};

Served serve(Cors& cors, std::string_view method, const std::string& headers) {
  Served s{std::make_unique<FakeExchange>(request(method, "/api/items", headers))};
  s.fx->run({&cors}, [&s](Context& ctx) {
    s.next_called = true;
    ctx.text(200, "items\n");
  });
  return s;
}

std::string preflight_headers(std::string_view origin, std::string_view method,
                              std::string_view request_headers = "") {
  std::string h = "Origin: " + std::string(origin) +
                  "\r\nAccess-Control-Request-Method: " + std::string(method) + "\r\n";
  if (!request_headers.empty()) {
    h += "Access-Control-Request-Headers: " + std::string(request_headers) + "\r\n";
  }
  return h;
}

// --- preflight ---

TEST(CorsPreflight, AnAllowedPreflightIsAnswered204BeforeRouting) {
  Cors cors(app_only());
  const Served s = serve(cors, "OPTIONS", preflight_headers(kApp, "PUT", "content-type, x-token"));
  FakeExchange& fx = *s.fx;
  EXPECT_FALSE(s.next_called);
  EXPECT_EQ(fx.status(), 204);
  EXPECT_EQ(fx.body(), "");
  EXPECT_EQ(fx.header("Access-Control-Allow-Origin"), kApp);
  EXPECT_EQ(fx.header("Access-Control-Allow-Methods"), "GET, HEAD, POST, PUT, PATCH, DELETE");
  EXPECT_EQ(fx.header("Access-Control-Allow-Headers"), "content-type, x-token");
  EXPECT_EQ(fx.header("Access-Control-Max-Age"), "600");
  EXPECT_EQ(fx.header("Vary"), kPreflightVary);
  EXPECT_EQ(fx.header_count("Vary"), 1u);
  EXPECT_FALSE(fx.header("Access-Control-Allow-Credentials"));
  EXPECT_FALSE(fx.header("Access-Control-Expose-Headers"));
  EXPECT_EQ(cors.counters().preflights, 1u);
  EXPECT_EQ(cors.counters().rejected, 0u);
}

TEST(CorsPreflight, WithoutRequestHeadersNoAllowHeadersIsReflected) {
  Cors cors(app_only());
  const Served s = serve(cors, "OPTIONS", preflight_headers(kApp, "DELETE"));
  EXPECT_EQ(s.fx->status(), 204);
  EXPECT_FALSE(s.fx->header("Access-Control-Allow-Headers"));
}

TEST(CorsPreflight, ConfiguredHeadersAreListedInsteadOfReflected) {
  CorsConfig config = app_only();
  config.allowed_headers = {"Content-Type", "Authorization"};
  Cors cors(config);
  const Served s = serve(cors, "OPTIONS", preflight_headers(kApp, "POST", "x-other"));
  EXPECT_EQ(s.fx->status(), 204) << "the browser, not the server, enforces the header list";
  EXPECT_EQ(s.fx->header("Access-Control-Allow-Headers"), "Content-Type, Authorization");
}

TEST(CorsPreflight, ADisallowedOriginIsRefused403) {
  Cors cors(app_only());
  const Served s = serve(cors, "OPTIONS", preflight_headers("https://evil.example", "GET"));
  EXPECT_FALSE(s.next_called);
  EXPECT_EQ(s.fx->status(), 403);
  EXPECT_EQ(s.fx->body(), "cors: origin not allowed\n");
  EXPECT_FALSE(s.fx->header("Access-Control-Allow-Origin"));
  EXPECT_FALSE(s.fx->header("Access-Control-Allow-Methods"));
  EXPECT_EQ(s.fx->header("Vary"), kPreflightVary);
  EXPECT_EQ(cors.counters().preflights, 1u);
  EXPECT_EQ(cors.counters().rejected, 1u);
}

TEST(CorsPreflight, ADisallowedMethodIsRefused403) {
  CorsConfig config = app_only();
  config.allowed_methods = {"GET", "POST"};
  Cors cors(config);
  const Served s = serve(cors, "OPTIONS", preflight_headers(kApp, "DELETE"));
  EXPECT_FALSE(s.next_called);
  EXPECT_EQ(s.fx->status(), 403);
  EXPECT_EQ(s.fx->body(), "cors: method not allowed\n");
  EXPECT_FALSE(s.fx->header("Access-Control-Allow-Origin"));
  EXPECT_EQ(cors.counters().rejected, 1u);
  // Methods are case-sensitive.
  EXPECT_EQ(serve(cors, "OPTIONS", preflight_headers(kApp, "post")).fx->status(), 403);
  EXPECT_EQ(serve(cors, "OPTIONS", preflight_headers(kApp, "POST")).fx->status(), 204);
}

TEST(CorsPreflight, WildcardWithoutCredentialsAnswersStar) {
  Cors cors(wildcard(false, true));
  const Served s = serve(cors, "OPTIONS", preflight_headers("https://any.example", "PURGE", "x-a"));
  EXPECT_EQ(s.fx->status(), 204);
  EXPECT_EQ(s.fx->header("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(s.fx->header("Access-Control-Allow-Methods"), "*");
  EXPECT_EQ(s.fx->header("Access-Control-Allow-Headers"), "*");
}

TEST(CorsPreflight, WildcardWithCredentialsReflectsOriginMethodAndHeaders) {
  Cors cors(wildcard(true, true));
  const Served s =
      serve(cors, "OPTIONS", preflight_headers("https://any.example", "PATCH", "x-a, x-b"));
  EXPECT_EQ(s.fx->status(), 204);
  EXPECT_EQ(s.fx->header("Access-Control-Allow-Origin"), "https://any.example");
  EXPECT_EQ(s.fx->header("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(s.fx->header("Access-Control-Allow-Methods"), "PATCH");
  EXPECT_EQ(s.fx->header("Access-Control-Allow-Headers"), "x-a, x-b");
}

TEST(CorsPreflight, MaxAgeIsConfigurable) {
  CorsConfig config = app_only();
  config.max_age = 0;
  Cors cors(config);
  EXPECT_EQ(
      serve(cors, "OPTIONS", preflight_headers(kApp, "GET")).fx->header("Access-Control-Max-Age"),
      "0");
}

TEST(CorsPreflight, OptionsWithoutOriginOrRequestMethodIsAnOrdinaryRequest) {
  Cors cors(app_only());
  const Served no_method = serve(cors, "OPTIONS", "Origin: " + std::string(kApp) + "\r\n");
  EXPECT_TRUE(no_method.next_called);
  EXPECT_EQ(no_method.fx->header("Access-Control-Allow-Origin"), kApp);
  const Served no_origin = serve(cors, "OPTIONS", "Access-Control-Request-Method: GET\r\n");
  EXPECT_TRUE(no_origin.next_called);
  EXPECT_FALSE(no_origin.fx->header("Access-Control-Allow-Origin"));
  EXPECT_EQ(cors.counters().preflights, 0u);
}

// --- actual requests ---

TEST(Cors, AnAllowedOriginGetsAllowOriginAndVary) {
  Cors cors(app_only());
  const Served s = serve(cors, "GET", "Origin: " + std::string(kApp) + "\r\n");
  EXPECT_TRUE(s.next_called);
  EXPECT_EQ(s.fx->status(), 200);
  EXPECT_EQ(s.fx->body(), "items\n");
  EXPECT_EQ(s.fx->header("Access-Control-Allow-Origin"), kApp);
  EXPECT_EQ(s.fx->header("Vary"), "Origin");
  EXPECT_FALSE(s.fx->header("Access-Control-Allow-Credentials"));
  EXPECT_FALSE(s.fx->header("Access-Control-Expose-Headers"));
  EXPECT_FALSE(s.fx->header("Access-Control-Allow-Methods")) << "preflight-only";
}

TEST(Cors, ExposedHeadersAndCredentialsAreAdded) {
  CorsConfig config = app_only();
  config.exposed_headers = {"X-Request-ID", "X-RateLimit-Remaining"};
  config.allow_credentials = true;
  Cors cors(config);
  const Served s = serve(cors, "POST", "Origin: " + std::string(kApp) + "\r\n");
  EXPECT_EQ(s.fx->header("Access-Control-Allow-Origin"), kApp);
  EXPECT_EQ(s.fx->header("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(s.fx->header("Access-Control-Expose-Headers"), "X-Request-ID, X-RateLimit-Remaining");
}

TEST(Cors, ADisallowedOriginPassesWithoutCorsHeaders) {
  Cors cors(app_only());
  const Served s = serve(cors, "GET", "Origin: https://evil.example\r\n");
  EXPECT_TRUE(s.next_called);
  EXPECT_EQ(s.fx->status(), 200);
  EXPECT_FALSE(s.fx->header("Access-Control-Allow-Origin"));
  EXPECT_FALSE(s.fx->header("Access-Control-Allow-Credentials"));
  EXPECT_EQ(s.fx->header("Vary"), "Origin");
  EXPECT_EQ(cors.counters().rejected, 1u);
}

TEST(Cors, WithoutOriginOnlyVaryIsAddedAndOnlyWhenTheAnswerDependsOnOrigin) {
  Cors listed(app_only());
  const Served a = serve(listed, "GET", "");
  EXPECT_TRUE(a.next_called);
  EXPECT_FALSE(a.fx->header("Access-Control-Allow-Origin"));
  EXPECT_EQ(a.fx->header("Vary"), "Origin");

  Cors any(wildcard(false));
  const Served b = serve(any, "GET", "");
  EXPECT_FALSE(b.fx->header("Vary"));
  EXPECT_FALSE(b.fx->header("Access-Control-Allow-Origin"));
  EXPECT_EQ(any.counters().rejected + listed.counters().rejected, 0u);
}

TEST(Cors, WildcardWithoutCredentialsAnswersStarWithoutVary) {
  Cors cors(wildcard(false));
  const Served s = serve(cors, "GET", "Origin: https://any.example\r\n");
  EXPECT_EQ(s.fx->header("Access-Control-Allow-Origin"), "*");
  EXPECT_FALSE(s.fx->header("Vary"));
}

TEST(Cors, WildcardWithCredentialsReflectsTheOriginAndVaries) {
  Cors cors(wildcard(true));
  const Served s = serve(cors, "GET", "Origin: https://any.example\r\n");
  EXPECT_EQ(s.fx->header("Access-Control-Allow-Origin"), "https://any.example");
  EXPECT_EQ(s.fx->header("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(s.fx->header("Vary"), "Origin");
}

TEST(Cors, TheNullOriginIsNotCoveredByACredentialedWildcard) {
  Cors credentialed(wildcard(true));
  EXPECT_FALSE(
      serve(credentialed, "GET", "Origin: null\r\n").fx->header("Access-Control-Allow-Origin"));

  Cors open(wildcard(false));
  EXPECT_EQ(serve(open, "GET", "Origin: null\r\n").fx->header("Access-Control-Allow-Origin"), "*");

  CorsConfig listed;
  listed.allowed_origins = {"null"};
  listed.allow_credentials = true;
  Cors explicit_null(listed);
  EXPECT_EQ(
      serve(explicit_null, "GET", "Origin: null\r\n").fx->header("Access-Control-Allow-Origin"),
      "null");
}

TEST(Cors, ConfiguredOriginsAreLowercasedRequestsComparedExactly) {
  CorsConfig config;
  config.allowed_origins = {"HTTPS://App.Example:8443"};
  Cors cors(config);
  EXPECT_EQ(serve(cors, "GET", "Origin: https://app.example:8443\r\n")
                .fx->header("Access-Control-Allow-Origin"),
            "https://app.example:8443");
  // Browsers never send these spellings; anything else is not the same serialized origin.
  for (std::string origin :
       {"HTTPS://APP.EXAMPLE:8443", "https://app.example", "https://app.example:8443/",
        "http://app.example:8443", "https://app.example:8443.evil.example"}) {
    EXPECT_FALSE(
        serve(cors, "GET", "Origin: " + origin + "\r\n").fx->header("Access-Control-Allow-Origin"))
        << origin;
  }
}

TEST(Cors, HeadersAddedBeforeNextSurviveALaterRejection) {
  class Refuse final : public Middleware {
   public:
    void handle(Context& ctx, Next&) override { ctx.text(429, "slow down\n"); }
  } refuse;
  Cors cors(app_only());
  FakeExchange fx(request("GET", "/", "Origin: " + std::string(kApp) + "\r\n"));
  fx.run({&cors, &refuse}, [](Context&) {});
  EXPECT_EQ(fx.status(), 429);
  EXPECT_EQ(fx.header("Access-Control-Allow-Origin"), kApp);
}

TEST(Cors, CountsPerWorkerAndSumsThem) {
  Cors cors(app_only());
  cors.attach(2);
  for (std::size_t worker : {0u, 1u}) {
    FakeExchange ok(request("OPTIONS", "/", preflight_headers(kApp, "GET")), {}, worker);
    FakeExchange bad(request("OPTIONS", "/", preflight_headers("https://x.example", "GET")), {},
                     worker);
    ok.run({&cors}, [](Context&) {});
    bad.run({&cors}, [](Context&) {});
  }
  EXPECT_EQ(cors.counters().preflights, 4u);
  EXPECT_EQ(cors.counters().rejected, 2u);
}

TEST(Cors, TheFactoryMakesOne) {
  MiddlewarePtr mw = make_cors(app_only());
  ASSERT_NE(std::dynamic_pointer_cast<Cors>(mw), nullptr);
  FakeExchange fx(request("GET", "/", "Origin: " + std::string(kApp) + "\r\n"));
  fx.run({mw.get()}, [](Context&) {});
  EXPECT_EQ(fx.header("Access-Control-Allow-Origin"), kApp);
}

}  // namespace
}  // namespace surge::detail
