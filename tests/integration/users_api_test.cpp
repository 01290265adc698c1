// The embedding example (examples/users_api) over real sockets.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/raw_client.hpp"
#include "support/test_server.hpp"
#include "users_api.hpp"

namespace surge::test {
namespace {

std::string post_json(std::string_view target, std::string_view body) {
  return "POST " + std::string(target) + " HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

class UsersApi : public ::testing::Test {
 protected:
  TestServer server_{test_config(), users_api::make_router(std::make_shared<users_api::UserStore>())};
};

TEST_F(UsersApi, CreatesListsGetsAndDeletesUsers) {
  RawClient client(server_.port());
  ASSERT_TRUE(client.send(post_json("/users", R"({"name":"Ada","email":"ada@example.org","age":36})")));
  auto created = client.read_response();
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201);
  EXPECT_EQ(created->header("Location"), "/users/1");
  EXPECT_EQ(nlohmann::json::parse(created->body)["name"], "Ada");
  EXPECT_TRUE(created->header("X-Request-ID"));

  ASSERT_TRUE(client.send(get("/users")));
  auto list = client.read_response();
  ASSERT_TRUE(list);
  EXPECT_EQ(nlohmann::json::parse(list->body).size(), 1u);

  ASSERT_TRUE(client.send(get("/users/1")));
  auto one = client.read_response();
  ASSERT_TRUE(one);
  EXPECT_EQ(nlohmann::json::parse(one->body)["email"], "ada@example.org");

  ASSERT_TRUE(client.send("DELETE /users/1 HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_EQ(client.read_response()->status, 204);
  ASSERT_TRUE(client.send(get("/users/1")));
  EXPECT_EQ(client.read_response()->status, 404);
}

TEST_F(UsersApi, ValidationFailuresAre422WithTheListOfFields) {
  auto r = fetch(server_.port(), post_json("/users", R"({"name":"","email":"nope","age":-3})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  auto body = nlohmann::json::parse(r->body);
  EXPECT_EQ(body["error"], "validation failed");
  ASSERT_EQ(body["fields"].size(), 3u);
  EXPECT_EQ(body["fields"][0]["field"], "name");
  EXPECT_EQ(body["fields"][1]["field"], "email");
  EXPECT_EQ(body["fields"][2]["field"], "age");
}

TEST_F(UsersApi, MalformedOrNonJsonBodiesAreRefused) {
  EXPECT_EQ(fetch(server_.port(), post_json("/users", "{nope"))->status, 400);
  EXPECT_EQ(fetch(server_.port(), "POST /users HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}")->status, 415);
  auto big = fetch(server_.port(), post_json("/users", std::string(20000, ' ')));
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);  // the route's own 16 KiB limit
}

TEST_F(UsersApi, UnknownMethodsAndPathsAreAnsweredByTheRouter) {
  auto r = fetch(server_.port(), "PUT /users/1 HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("Allow"), "GET, HEAD, DELETE, OPTIONS");
  EXPECT_EQ(fetch(server_.port(), get("/nope"))->status, 404);
  EXPECT_EQ(fetch(server_.port(), get("/users/abc"))->status, 404);
}

}  // namespace
}  // namespace surge::test
