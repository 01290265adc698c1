// surged's routes from configuration, served in-process over real sockets: the handler kinds
// (text, json, echo, files), built-ins, per-route limits and middleware settings.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include <surge/error.hpp>

#include "config/config_loader.hpp"
#include "daemon/app_builder.hpp"
#include "support/configured_server.hpp"
#include "support/daemon_process.hpp"
#include "support/raw_client.hpp"
#include "support/test_server.hpp"

namespace surge::test {
namespace {

TEST(ConfigRoutes, TextAndJsonTemplatesFillParameters) {
  ConfiguredServer server(R"({"routes": [
    {"path": "/hello/:name", "handler": {"type": "text", "body": "Hello, {name}! {{literal}}", "headers": {"X-Kind": "greeting"}}},
    {"path": "/users/:id", "handler": {"type": "json", "status": 201, "body": {"id": "{id}", "tags": ["user-{id}"], "n": 1, "nested": {"deep": {"x": "{id}"}}}}}
  ]})");
  auto text = fetch(server.port(), get("/hello/J%C3%BCrgen%20M"));
  ASSERT_TRUE(text);
  EXPECT_EQ(text->body, "Hello, J\xC3\xBCrgen M! {literal}");
  EXPECT_EQ(text->header("X-Kind"), "greeting");
  auto json = fetch(server.port(), get("/users/12345"));
  ASSERT_TRUE(json);
  EXPECT_EQ(json->status, 201);
  EXPECT_EQ(json->header("Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(json->body),
            (nlohmann::json{{"id", "12345"}, {"tags", {"user-12345"}}, {"n", 1},
                            {"nested", {{"deep", {{"x", "12345"}}}}}}));
}

TEST(ConfigRoutes, JsonTemplatesEscapeWhatTheClientSends) {
  ConfiguredServer server(R"({"routes": [
    {"path": "/users/:id", "handler": {"type": "json", "body": {"id": "{id}"}}}]})");
  // A quote, a backslash, a control character and invalid UTF-8 cannot break out of the string.
  auto r = fetch(server.port(), get("/users/a%22%2C%22admin%22%3Atrue%5C%01%FF"));
  ASSERT_TRUE(r);
  nlohmann::json body = nlohmann::json::parse(r->body);  // still valid JSON
  EXPECT_EQ(body.size(), 1u);
  EXPECT_EQ(body["id"], "a\",\"admin\":true\\\x01\xEF\xBF\xBD");
}

TEST(ConfigRoutes, EchoAnswersWithTheRequest) {
  ConfiguredServer server(R"({"routes": [
    {"method": ["GET", "POST"], "path": "/echo", "handler": {"type": "echo"}}]})");
  auto r = fetch(server.port(),
                 "POST /echo?x=1 HTTP/1.1\r\nHost: lb.example\r\nX-Forwarded-For: 10.0.0.1\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  ASSERT_TRUE(r);
  auto echo = nlohmann::json::parse(r->body);
  EXPECT_EQ(echo["method"], "POST");
  EXPECT_EQ(echo["target"], "/echo?x=1");
  EXPECT_EQ(echo["query"], "x=1");
  EXPECT_EQ(echo["body"], "hello");
  EXPECT_EQ(echo["peer"], "127.0.0.1");
  EXPECT_EQ(echo["headers"][1], (nlohmann::json{"X-Forwarded-For", "10.0.0.1"}));
}

TEST(ConfigRoutes, BuiltinsReportLivenessAndReadiness) {
  ConfiguredServer server(R"({"routes": []})");
  EXPECT_EQ(fetch(server.port(), get("/healthz"))->status, 200);
  EXPECT_EQ(fetch(server.port(), get("/readyz"))->status, 200);
  server.readiness().set_draining();
  EXPECT_EQ(fetch(server.port(), get("/readyz"))->status, 503);
  EXPECT_EQ(fetch(server.port(), get("/healthz"))->status, 200);
}

TEST(ConfigRoutes, BuiltinsCanBeDisabled) {
  ConfiguredServer server(R"({"routes": [], "builtins": {"healthz": false, "readyz": false}})");
  EXPECT_EQ(fetch(server.port(), get("/healthz"))->status, 404);
}

TEST(ConfigRoutes, ARouteBodyLimitIsEnforcedBeforeTheBodyIsRead) {
  ConfiguredServer server(R"({"routes": [
    {"method": "POST", "path": "/small", "max_body_bytes": 8, "handler": {"type": "echo"}}]})");
  auto r = fetch(server.port(), "POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->body.find("max_body_bytes"), std::string::npos);
  EXPECT_EQ(fetch(server.port(), "POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 8\r\n\r\n12345678")->status, 200);
}

TEST(ConfigRoutes, MiddlewareComeFromTheConfiguration) {
  ConfiguredServer server(R"({"routes": [{"path": "/a", "handler": {"type": "text", "body": "a"}}],
    "middleware": {"request_id": {"enabled": true},
                   "cors": {"allowed_origins": ["https://app.example"], "max_age_s": 60}}})");
  auto r = fetch(server.port(), get("/a", "Origin: https://app.example\r\nX-Request-ID: abc-123\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("X-Request-ID"), "abc-123");
  EXPECT_EQ(r->header("Access-Control-Allow-Origin"), "https://app.example");
  auto preflight = fetch(server.port(), "OPTIONS /a HTTP/1.1\r\nHost: t\r\nOrigin: https://app.example\r\n"
                                        "Access-Control-Request-Method: GET\r\n\r\n");
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->header("Access-Control-Max-Age"), "60");
  auto missing = fetch(server.port(), get("/nope"));  // global middleware apply to 404s too
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_TRUE(missing->header("X-Request-ID"));
}

class FilesRoute : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("www/index.html", "<h1>home</h1>");
    dir_.write("www/css/site.css", "body{}");
    big_.reserve(3u << 20);
    for (std::size_t i = 0; i < (3u << 20); ++i) big_ += static_cast<char>('a' + i % 26);
    dir_.write("www/big.bin", big_);
    dir_.write("secret.txt", "not served");
    std::string config = R"({"routes": [{"path": "/static/*path", "handler": {"type": "files", "root": ")" +
                         dir_.path() + R"(/www"}}]})";
    server_ = std::make_unique<ConfiguredServer>(config);
  }
  TempDir dir_;
  std::string big_;
  std::unique_ptr<ConfiguredServer> server_;
};

TEST_F(FilesRoute, ServesFilesWithTypeValidatorsAndTheWholeBody) {
  auto r = fetch(server_->port(), get("/static/css/site.css"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "body{}");
  EXPECT_EQ(r->header("Content-Type"), "text/css; charset=utf-8");
  EXPECT_TRUE(r->header("ETag"));
  EXPECT_TRUE(r->header("Last-Modified"));
  auto big = fetch(server_->port(), get("/static/big.bin"), 20s);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->body, big_);  // sent with sendfile, byte for byte
  auto index = fetch(server_->port(), get("/static/"));
  ASSERT_TRUE(index);
  EXPECT_EQ(index->body, "<h1>home</h1>");
}

TEST_F(FilesRoute, AnswersRangesAndConditionalRequests) {
  auto range = fetch(server_->port(), get("/static/big.bin", "Range: bytes=26-51\r\n"));
  ASSERT_TRUE(range);
  EXPECT_EQ(range->status, 206);
  EXPECT_EQ(range->body, "abcdefghijklmnopqrstuvwxyz");
  EXPECT_EQ(range->header("Content-Range"), "bytes 26-51/" + std::to_string(big_.size()));
  auto unsatisfiable = fetch(server_->port(), get("/static/big.bin", "Range: bytes=99999999-\r\n"));
  ASSERT_TRUE(unsatisfiable);
  EXPECT_EQ(unsatisfiable->status, 416);
  auto first = fetch(server_->port(), get("/static/css/site.css"));
  auto again = fetch(server_->port(), get("/static/css/site.css", "If-None-Match: " + *first->header("ETag") + "\r\n"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
}

TEST_F(FilesRoute, KeepsPipelinedResponsesInOrderAroundAFile) {
  RawClient client(server_->port());
  ASSERT_TRUE(client.send(get("/static/big.bin") + "HEAD /static/css/site.css HTTP/1.1\r\nHost: t\r\n\r\n" +
                          get("/static/css/site.css")));
  auto big = client.read_response(20s);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->body.size(), big_.size());
  auto head = client.read_response(5s, /*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->header("Content-Length"), "6");
  auto css = client.read_response();
  ASSERT_TRUE(css);
  EXPECT_EQ(css->body, "body{}");
}

TEST_F(FilesRoute, RefusesTraversalInEverySpelling) {
  for (const char* path : {"/static/../secret.txt", "/static/%2e%2e/secret.txt", "/static/..%2fsecret.txt",
                           "/static/%2E%2E%2Fsecret.txt", "/static/css/..%2F..%2Fsecret.txt",
                           "/static/%00", "/static/..\\secret.txt"}) {
    auto r = fetch(server_->port(), get(path));
    ASSERT_TRUE(r) << path;
    EXPECT_TRUE(r->status == 404 || r->status == 403 || r->status == 400) << path << " " << r->status;
    EXPECT_EQ(r->body.find("not served"), std::string::npos) << path;
  }
}

// "method": "*" means every method token, of any handler kind; a route with listed methods (or
// none) answers a method surged does not implement with 501, as before routing.
TEST(ConfigRoutes, AStarRouteTakesUnknownMethodsAndOthersAnswer501) {
  ConfiguredServer server(R"({"routes": [
    {"method": "*", "path": "/echo", "handler": {"type": "echo"}},
    {"method": "*", "path": "/text", "handler": {"type": "text", "body": "any"}},
    {"path": "/get", "handler": {"type": "text", "body": "get"}}]})");
  auto echo = fetch(server.port(), "PROPFIND /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\n<a/>");
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->status, 200);
  EXPECT_EQ(nlohmann::json::parse(echo->body)["method"], "PROPFIND");
  EXPECT_EQ(nlohmann::json::parse(echo->body)["body"], "<a/>");
  auto text = fetch(server.port(), "PURGE /text HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 200);
  EXPECT_EQ(text->body, "any");
  for (const char* request : {"PURGE /get HTTP/1.1\r\nHost: t\r\n\r\n", "PURGE /nowhere HTTP/1.1\r\nHost: t\r\n\r\n"}) {
    auto r = fetch(server.port(), request);
    ASSERT_TRUE(r) << request;
    EXPECT_EQ(r->status, 501) << request;
  }
  auto post = fetch(server.port(), "POST /get HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
}

TEST(ConfigRoutes, ConflictingRoutesAreAConfigErrorNamingTheRoute) {
  auto config = detail::parse_config(R"({"routes": [
    {"path": "/users/:id", "handler": {"type": "echo"}},
    {"path": "/users/:name", "handler": {"type": "echo"}}]})", "test.json");
  try {
    detail::build_router(config, "test.json", std::make_shared<detail::Readiness>(), nullptr);
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.json_path(), "/routes/1");
    EXPECT_NE(std::string(e.what()).find("/users/:id"), std::string::npos) << e.what();
  }
}

TEST(ConfigRoutes, AFilesRootThatCannotBeOpenedIsAConfigError) {
  auto config = detail::parse_config(R"({"routes": [
    {"path": "/s/*p", "handler": {"type": "files", "root": "/nonexistent/www"}}]})", "test.json");
  EXPECT_THROW(detail::build_router(config, "test.json", std::make_shared<detail::Readiness>(), nullptr),
               ConfigError);
}

}  // namespace
}  // namespace surge::test
