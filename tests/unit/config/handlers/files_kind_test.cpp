// The "files" handler kind (src/config/handlers/files_kind.cpp).

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "kind_fixture.hpp"

namespace surge::test {
namespace {

TEST(FilesKind, ServesTheFileTheCatchAllNames) {
  char root[] = "/tmp/surge-files-kind-XXXXXX";
  ASSERT_NE(mkdtemp(root), nullptr);
  std::ofstream(std::string(root) + "/a.txt") << "file a";
  const detail::RouteConfig route =
      read_route("/static/*path", R"({"type": "files", "root": ")" + std::string(root) + R"(", "max_age_s": 60})");
  EXPECT_EQ(route.handler.type(), "files");
  FakeExchange ex(request("GET", "/static/a.txt"));
  serve(route, ex, {{"path", "a.txt"}});
  EXPECT_EQ(ex.status(), 200);
  EXPECT_EQ(ex.header("Cache-Control"), "max-age=60");
  unlink((std::string(root) + "/a.txt").c_str());
  rmdir(root);
}

TEST(FilesKind, NeedsARootAndACatchAll) {
  EXPECT_EQ(route_failure("/static/*path", R"({"type": "files"})").first, "/routes/0/handler/root");
  auto [path, message] = route_failure("/static", R"({"type": "files", "root": "/srv"})");
  EXPECT_EQ(path, "/routes/0/handler/type");
  EXPECT_NE(message.find("ending in a catch-all"), std::string::npos) << message;
  EXPECT_EQ(route_failure("/s/*p", R"({"type": "files", "root": "/srv", "max_age_s": -1})").first,
            "/routes/0/handler/max_age_s");
}

TEST(FilesKind, ARootThatCannotBeOpenedFailsWhenTheHandlerIsMade) {
  const detail::RouteConfig route = read_route("/s/*p", R"({"type": "files", "root": "/nonexistent/www"})");
  FakeExchange ex(request("GET", "/s/x"));
  EXPECT_THROW(serve(route, ex), std::invalid_argument);
}

}  // namespace
}  // namespace surge::test
