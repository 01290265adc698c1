#include <surge/router.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/application.hpp"
#include "http/exchange.hpp"
#include "router/router_app.hpp"
#include "support/fake_exchange.hpp"

namespace surge {
namespace {

using test::FakeExchange;
using test::request;

// Routes and answers one request through the frozen router, as a connection does.
// The frozen application is kept: the exchange's route pattern points into it.
struct Served {
  detail::RequestError error;
  std::shared_ptr<const detail::Application> app;
  std::unique_ptr<FakeExchange> ex;
};

Served serve(const Router& router, const std::string& raw) {
  auto app = detail::freeze(router);
  auto ex = std::make_unique<FakeExchange>(raw);
  detail::RequestError error = app->on_header(ex->exchange());
  if (error == detail::RequestError::kNone) app->handle(ex->exchange());
  return {error, std::move(app), std::move(ex)};
}

Handler says(std::string text) {
  return [text](Context& ctx) { ctx.text(200, text); };
}

// Records the order in which middleware ran.
class Tag final : public Middleware {
 public:
  Tag(std::vector<std::string>& log, std::string name) : log_(log), name_(std::move(name)) {}
  void handle(Context& ctx, Next& next) override {
    log_.push_back(name_ + ">");
    next();
    log_.push_back("<" + name_);
    ctx.response().add_header("X-Seen-By", name_);
  }

 private:
  std::vector<std::string>& log_;
  std::string name_;
};

TEST(Router, DispatchesStaticParameterAndCatchAllRoutes) {
  Router router;
  router.get("/users/new", says("new"));
  router.get("/users/:id", [](Context& ctx) { ctx.text(200, ctx.param("id")); });
  router.get("/files/*path", [](Context& ctx) { ctx.text(200, ctx.param("path")); });
  EXPECT_EQ(serve(router, request("GET", "/users/new")).ex->body(), "new");
  EXPECT_EQ(serve(router, request("GET", "/users/42")).ex->body(), "42");
  EXPECT_EQ(serve(router, request("GET", "/files/a/b/c.txt")).ex->body(), "a/b/c.txt");
  auto r = serve(router, request("GET", "/users/42?x=1"));
  EXPECT_EQ(r.ex->body(), "42");
  EXPECT_EQ(r.ex->ctx().route(), "/users/:id");
}

TEST(Router, PercentDecodesParameterValues) {
  Router router;
  router.get("/users/:name", [](Context& ctx) { ctx.text(200, ctx.param("name")); });
  router.get("/files/*path", [](Context& ctx) { ctx.text(200, ctx.param("path")); });
  EXPECT_EQ(serve(router, request("GET", "/users/J%C3%BCrgen%20M")).ex->body(), "J\xC3\xBCrgen M");
  EXPECT_EQ(serve(router, request("GET", "/users/a%2Fb")).ex->body(), "a/b");
  EXPECT_EQ(serve(router, request("GET", "/files/%2e%2e/x")).ex->body(), "../x");
}

// RFC 3986 6.2.2.2: an escaped unreserved character is the character itself, so the URI is the
// same resource; an escaped slash is data, never a path separator.
TEST(Router, RoutesEscapedUnreservedCharactersAsTheCharactersThemselves) {
  Router router;
  router.get("/plaintext", says("plain"));
  router.get("/a/b", says("a-b"));
  router.get("/users/:id", [](Context& ctx) { ctx.text(200, ctx.param("id")); });
  EXPECT_EQ(serve(router, request("GET", "/plaintex%74")).ex->body(), "plain");
  EXPECT_EQ(serve(router, request("GET", "/%70%6C%61%69%6E%74%65%78%74")).ex->body(), "plain");
  EXPECT_EQ(serve(router, request("GET", "/plaintext%3F")).ex->status(), 404);  // '?' is reserved
  EXPECT_EQ(serve(router, request("GET", "/a%2Fb")).ex->status(), 404);
  EXPECT_EQ(serve(router, request("GET", "/a%2fb")).ex->status(), 404);
  EXPECT_EQ(serve(router, request("GET", "/%75sers/%7E%41%2Fx")).ex->body(), "~A/x");
  // The handler still sees the path as it was sent.
  Router raw;
  raw.get("/plaintext", [](Context& ctx) { ctx.text(200, ctx.request().path()); });
  EXPECT_EQ(serve(raw, request("GET", "/plaintex%74")).ex->body(), "/plaintex%74");
}

TEST(Router, AnswersNotFound) {
  Router router;
  router.get("/a", says("a"));
  auto r = serve(router, request("GET", "/b"));
  EXPECT_EQ(r.ex->status(), 404);
  EXPECT_EQ(r.ex->ctx().route(), "");
}

TEST(Router, AnswersMethodNotAllowedWithAllow) {
  Router router;
  router.get("/items", says("list"));
  router.post("/items", says("create"));
  auto r = serve(router, request("DELETE", "/items"));
  EXPECT_EQ(r.ex->status(), 405);
  EXPECT_EQ(r.ex->header("Allow"), "GET, HEAD, POST, OPTIONS");
}

TEST(Router, ServesHeadFromTheGetRoute) {
  Router router;
  router.get("/a", says("body"));
  auto r = serve(router, request("HEAD", "/a"));
  EXPECT_EQ(r.ex->status(), 200);
  EXPECT_EQ(r.ex->body(), "body");  // the engine sends Content-Length only, for HEAD
}

TEST(Router, AnswersOptionsAutomaticallyUnlessARouteDoes) {
  Router router;
  router.get("/a", says("a"));
  router.options("/b", says("mine"));
  router.get("/b", says("b"));
  auto automatic = serve(router, request("OPTIONS", "/a"));
  EXPECT_EQ(automatic.ex->status(), 204);
  EXPECT_EQ(automatic.ex->header("Allow"), "GET, HEAD, OPTIONS");
  EXPECT_EQ(serve(router, request("OPTIONS", "/b")).ex->body(), "mine");
  auto star = serve(router, "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(star.ex->status(), 204);
  EXPECT_EQ(star.ex->header("Allow"), "GET, HEAD, OPTIONS");
}

TEST(Router, RedirectsTheOtherTrailingSlashSpellingWith308) {
  Router router;
  router.get("/users", says("users"));
  router.get("/docs/", says("docs"));
  auto add = serve(router, request("GET", "/users/?page=2"));
  EXPECT_EQ(add.ex->status(), 308);
  EXPECT_EQ(add.ex->header("Location"), "/users?page=2");
  auto remove = serve(router, request("POST", "/docs"));
  EXPECT_EQ(remove.ex->status(), 308);
  EXPECT_EQ(remove.ex->header("Location"), "/docs/");
}

TEST(Router, StrictTrailingSlashAnswers404) {
  Router router(RouterOptions{.trailing_slash = TrailingSlash::kStrict});
  router.get("/users", says("users"));
  EXPECT_EQ(serve(router, request("GET", "/users/")).ex->status(), 404);
}

TEST(Router, RejectsConflictsAtRegistrationNamingBothRoutes) {
  Router router;
  router.get("/users/:id", says("a"));
  try {
    router.get("/users/:id", says("b"));
    FAIL() << "duplicate accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("GET /users/:id conflicts with GET /users/:id"), std::string::npos) << e.what();
  }
  try {
    router.post("/users/:name", says("c"));
    FAIL() << "conflicting parameter accepted";
  } catch (const std::invalid_argument& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("/users/:name"), std::string::npos) << what;
    EXPECT_NE(what.find("/users/:id"), std::string::npos) << what;
  }
  EXPECT_THROW(router.get("/static/*path/more", says("d")), std::invalid_argument);
  EXPECT_THROW(router.get("no-slash", says("e")), std::invalid_argument);
  router.post("/users/:id", says("same pattern, another method: fine"));
}

TEST(Router, RunsGlobalThenGroupThenRouteMiddlewareAroundTheHandler) {
  std::vector<std::string> log;
  Router router;
  auto api = router.group("/api", {std::make_shared<Tag>(log, "group")});
  api.get("/x", [&](Context& ctx) {
    log.push_back("handler");
    ctx.text(200, "x");
  }, RouteOptions{.middleware = {std::make_shared<Tag>(log, "route")}});
  router.use(std::make_shared<Tag>(log, "global"));  // after the route: global still applies
  serve(router, request("GET", "/api/x"));
  EXPECT_EQ(log, (std::vector<std::string>{"global>", "group>", "route>", "handler", "<route",
                                            "<group", "<global"}));
}

TEST(Router, GlobalMiddlewareAlsoSeesRequestsNoRouteMatches) {
  std::vector<std::string> log;
  Router router;
  router.use(std::make_shared<Tag>(log, "global"));
  router.group("/api", {std::make_shared<Tag>(log, "group")}).get("/x", says("x"));
  auto r = serve(router, request("GET", "/nope"));
  EXPECT_EQ(r.ex->status(), 404);
  EXPECT_EQ(r.ex->header("X-Seen-By"), "global");
  EXPECT_EQ(log, (std::vector<std::string>{"global>", "<global"}));
}

TEST(Router, GroupsNestAndJoinPrefixes) {
  Router router;
  auto v1 = router.group("/api/").group("/v1");
  v1.get("/users", says("users"));
  v1.get("", says("root of v1"));
  EXPECT_EQ(serve(router, request("GET", "/api/v1/users")).ex->body(), "users");
  EXPECT_EQ(serve(router, request("GET", "/api/v1")).ex->body(), "root of v1");
  auto routes = router.routes();
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].second, "/api/v1/users");
}

TEST(Router, RefusesABodyOverTheRouteLimitBeforeReadingIt) {
  Router router;
  router.post("/small", says("ok"), RouteOptions{.max_body_bytes = 4});
  auto r = serve(router, request("POST", "/small", "", "12345"));
  EXPECT_EQ(r.error, detail::RequestError::kRouteBodyTooLarge);
  EXPECT_EQ(detail::info(r.error).status, 413);
  EXPECT_EQ(serve(router, request("POST", "/small", "", "1234")).ex->body(), "ok");
}

TEST(Router, AHandlerThatAnswersNothingLeavesAnEmpty200) {
  Router router;
  router.get("/quiet", [](Context&) {});
  auto r = serve(router, request("GET", "/quiet"));
  EXPECT_EQ(r.ex->status(), 200);
  EXPECT_FALSE(r.ex->answered());
}

// A route for Method::kOther (the config's "method": "*") takes the methods surge does not
// implement; elsewhere they keep the 501 the parser used to give, never a 405.
Router every_method_on(std::string_view pattern, Handler handler) {
  Router router;
  for (std::size_t m = 0; m < kMethodCount; ++m) router.handle(static_cast<Method>(m), pattern, handler);
  return router;
}

TEST(Router, ARouteForEveryMethodTakesUnknownMethodsWithTheirToken) {
  Router router = every_method_on("/dav/*path", [](Context& ctx) {
    ctx.text(200, std::string(ctx.request().method_name()) + " " + std::string(to_string(ctx.request().method())));
  });
  router.get("/plain", says("plain"));
  for (const char* method : {"PURGE", "PROPFIND", "MKCOL"}) {
    auto r = serve(router, request(method, "/dav/a/b"));
    EXPECT_EQ(r.error, detail::RequestError::kNone) << method;
    EXPECT_EQ(r.ex->body(), std::string(method) + " OTHER");
    EXPECT_EQ(r.ex->ctx().route(), "/dav/*path");
  }
  EXPECT_EQ(serve(router, request("GET", "/dav/x")).ex->body(), "GET GET");
}

TEST(Router, AnUnknownMethodWhereNoRouteTakesEveryMethodIs501) {
  Router router = every_method_on("/dav/*path", says("dav"));
  router.get("/items", says("list"));
  router.post("/items", says("create"));
  router.get("/users", says("users"));
  for (const char* target : {"/items", "/nowhere", "/users/"}) {  // a path, none, a 308 spelling
    auto r = serve(router, request("PURGE", target));
    EXPECT_EQ(r.error, detail::RequestError::kMethodNotImplemented) << target;
    EXPECT_EQ(detail::info(r.error).status, 501);
  }
  // A known method that the path does not take is still 405, with Allow listing no "OTHER".
  auto known = serve(router, request("DELETE", "/items"));
  EXPECT_EQ(known.error, detail::RequestError::kNone);
  EXPECT_EQ(known.ex->status(), 405);
  EXPECT_EQ(known.ex->header("Allow"), "GET, HEAD, POST, OPTIONS");
  auto dav = serve(router, request("OPTIONS", "/dav/x"));
  EXPECT_EQ(dav.ex->body(), "dav");  // its OPTIONS route
  auto star = serve(router, "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(star.ex->header("Allow"), "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, TRACE");
}

TEST(Router, AGetOnlyRouteAnswersAnUnknownMethodWith501) {
  Router router;
  router.get("/a", says("a"));
  EXPECT_EQ(serve(router, request("PURGE", "/a")).error, detail::RequestError::kMethodNotImplemented);
  EXPECT_EQ(serve(router, request("get", "/a")).error, detail::RequestError::kMethodNotImplemented);
  EXPECT_EQ(serve(router, request("POST", "/a")).ex->status(), 405);
}

}  // namespace
}  // namespace surge
