#include "router/radix_tree.hpp"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace surge::detail {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr std::uint32_t kNoMatch = RadixTree::kNoMatch;

struct Lookup {
  std::uint32_t value;
  std::vector<std::pair<std::string, std::string>> params;
};

Lookup lookup(const RadixTree& tree, std::string_view path) {
  std::array<ParamMatch, RadixTree::kMaxParams> params;
  std::size_t count = 99;
  Lookup result{tree.find(path, params, count), {}};
  for (std::size_t i = 0; i < count; ++i) {
    result.params.emplace_back(std::string(params[i].name), std::string(params[i].value));
  }
  return result;
}

std::uint32_t value_of(const RadixTree& tree, std::string_view path) {
  return lookup(tree, path).value;
}

// A tree holding `routes`, each pattern mapped to its value.
RadixTree tree_of(std::initializer_list<std::pair<std::string_view, std::uint32_t>> routes) {
  RadixTree tree;
  for (const auto& [pattern, value] : routes)
    tree.insert(pattern, value);
  return tree;
}

// The message of the std::invalid_argument that inserting `pattern` throws ("" if none).
std::string rejection(RadixTree& tree, std::string_view pattern) {
  try {
    tree.insert(pattern, 1000);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "";
}

// The message rejecting `attempted` in a tree that holds only `registered`.
std::string conflict(std::string_view registered, std::string_view attempted) {
  RadixTree tree = tree_of({{registered, 1}});
  return rejection(tree, attempted);
}

TEST(RadixTree, EmptyTreeMatchesNothing) {
  const RadixTree tree;
  EXPECT_EQ(value_of(tree, "/"), kNoMatch);
  EXPECT_EQ(value_of(tree, "/a"), kNoMatch);
  EXPECT_EQ(tree.size(), 0u);
}

TEST(RadixTree, RootPatternMatchesOnlySlash) {
  RadixTree tree;
  tree.insert("/", 1);
  EXPECT_EQ(value_of(tree, "/"), 1u);
  EXPECT_EQ(value_of(tree, ""), kNoMatch);
  EXPECT_EQ(value_of(tree, "//"), kNoMatch);
  EXPECT_EQ(value_of(tree, "/x"), kNoMatch);
}

TEST(RadixTree, StaticRoutesMatchExactlyAndSharePrefixes) {
  const RadixTree tree =
      tree_of({{"/users/list", 1}, {"/users", 2}, {"/users/lis", 3}, {"/usage", 4}});
  EXPECT_EQ(value_of(tree, "/users/list"), 1u);
  EXPECT_EQ(value_of(tree, "/users"), 2u);
  EXPECT_EQ(value_of(tree, "/users/lis"), 3u);
  EXPECT_EQ(value_of(tree, "/usage"), 4u);
  EXPECT_EQ(value_of(tree, "/use"), kNoMatch);
  EXPECT_EQ(value_of(tree, "/users/listing"), kNoMatch);
  EXPECT_EQ(value_of(tree, "/Users"), kNoMatch);
  EXPECT_EQ(value_of(tree, "users"), kNoMatch);
  EXPECT_TRUE(lookup(tree, "/users").params.empty());
}

TEST(RadixTree, ParamBindsOneNonEmptySegment) {
  const RadixTree tree = tree_of({{"/users/:id/posts", 1}, {"/users/:id", 2}});
  EXPECT_THAT(lookup(tree, "/users/42/posts").params, ElementsAre(Pair("id", "42")));
  EXPECT_EQ(value_of(tree, "/users/42"), 2u);
  EXPECT_EQ(value_of(tree, "/users/"), kNoMatch);
  EXPECT_EQ(value_of(tree, "/users//posts"), kNoMatch);
  EXPECT_EQ(value_of(tree, "/users/4/2"), kNoMatch);
}

TEST(RadixTree, ParamsBindInPatternOrder) {
  RadixTree tree;
  tree.insert("/api/v1/users/:id/posts/:post", 7);
  const Lookup hit = lookup(tree, "/api/v1/users/ann/posts/99");
  EXPECT_EQ(hit.value, 7u);
  EXPECT_THAT(hit.params, ElementsAre(Pair("id", "ann"), Pair("post", "99")));
}

TEST(RadixTree, CatchAllBindsTheRestIncludingSlashes) {
  RadixTree tree;
  tree.insert("/static/*path", 3);
  EXPECT_THAT(lookup(tree, "/static/css/site/main.css").params,
              ElementsAre(Pair("path", "css/site/main.css")));
  EXPECT_THAT(lookup(tree, "/static/a//b/").params, ElementsAre(Pair("path", "a//b/")));
}

TEST(RadixTree, CatchAllMatchesAnEmptyRemainderButNeedsItsSlash) {
  RadixTree tree;
  tree.insert("/static/*path", 3);
  const Lookup empty = lookup(tree, "/static/");
  EXPECT_EQ(empty.value, 3u);
  EXPECT_THAT(empty.params, ElementsAre(Pair("path", "")));
  EXPECT_EQ(value_of(tree, "/static"), kNoMatch);
  EXPECT_EQ(value_of(tree, "/staticx/a"), kNoMatch);
}

TEST(RadixTree, CatchAllAtTheRootMatchesEveryPath) {
  const RadixTree tree = tree_of({{"/*all", 1}, {"/health", 2}});
  EXPECT_EQ(value_of(tree, "/"), 1u);
  EXPECT_EQ(value_of(tree, "/health"), 2u);
  EXPECT_THAT(lookup(tree, "/healthz/x").params, ElementsAre(Pair("all", "healthz/x")));
}

TEST(RadixTree, ParamAfterParamAndCatchAllAfterParam) {
  RadixTree tree;
  tree.insert("/:tenant/:bucket/*key", 1);
  EXPECT_THAT(
      lookup(tree, "/acme/logs/2024/01/x.gz").params,
      ElementsAre(Pair("tenant", "acme"), Pair("bucket", "logs"), Pair("key", "2024/01/x.gz")));
}

// Registers `patterns` in the given order and in reverse; expects the same answers both times.
void expect_same_in_both_orders(
    std::vector<std::string_view> patterns,
    const std::vector<std::pair<std::string_view, std::string_view>>& cases) {
  for (int order = 0; order < 2; ++order) {
    RadixTree tree;
    std::vector<std::string_view> registered = patterns;
    if (order == 1) std::reverse(registered.begin(), registered.end());
    for (const std::string_view pattern : registered) {
      const auto value = static_cast<std::uint32_t>(
          std::find(patterns.begin(), patterns.end(), pattern) - patterns.begin());
      tree.insert(pattern, value);
    }
    for (const auto& [path, expected] : cases) {
      const std::uint32_t value = value_of(tree, path);
      ASSERT_NE(value, kNoMatch) << path;
      EXPECT_EQ(patterns[value], expected) << path << " (order " << order << ")";
    }
  }
}

TEST(RadixTree, StaticBeatsParamBeatsCatchAllInAnyRegistrationOrder) {
  expect_same_in_both_orders({"/users/new", "/users/:id", "/users/*rest"},
                             {{"/users/new", "/users/new"},
                              {"/users/42", "/users/:id"},
                              {"/users/newer", "/users/:id"},
                              {"/users/42/x", "/users/*rest"},
                              {"/users/", "/users/*rest"}});
}

TEST(RadixTree, BacktracksFromStaticToParam) {
  expect_same_in_both_orders({"/a/b/c", "/a/:x/d"}, {{"/a/b/c", "/a/b/c"}, {"/a/b/d", "/a/:x/d"}});
  const RadixTree tree = tree_of({{"/a/b/c", 1}, {"/a/:x/d", 2}});
  EXPECT_THAT(lookup(tree, "/a/b/d").params, ElementsAre(Pair("x", "b")));
}

TEST(RadixTree, BacktracksFromAPartlyMatchingStaticLabel) {
  expect_same_in_both_orders({"/users/newest", "/users/:id"},
                             {{"/users/new", "/users/:id"}, {"/users/newest", "/users/newest"}});
}

TEST(RadixTree, BacktracksToACatchAllAndDropsTheAbandonedParams) {
  const RadixTree tree = tree_of({{"/a/:x/:y/z", 1}, {"/a/*rest", 2}, {"/a/b/c/d", 3}});
  const Lookup hit = lookup(tree, "/a/b/c/q");
  EXPECT_EQ(hit.value, 2u);
  EXPECT_THAT(hit.params, ElementsAre(Pair("rest", "b/c/q")));
  EXPECT_THAT(lookup(tree, "/a/b/c/z").params, ElementsAre(Pair("x", "b"), Pair("y", "c")));
}

TEST(RadixTree, BacktracksAcrossSeveralLevels) {
  expect_same_in_both_orders({"/s/a/b/c/d", "/s/:p/b/c/e", "/s/a/:q/c/f", "/s/:p/:q/:r/g"},
                             {{"/s/a/b/c/d", "/s/a/b/c/d"},
                              {"/s/a/b/c/e", "/s/:p/b/c/e"},
                              {"/s/a/b/c/f", "/s/a/:q/c/f"},
                              {"/s/a/b/c/g", "/s/:p/:q/:r/g"}});
}

TEST(RadixTree, MissReportsNoParams) {
  RadixTree tree;
  tree.insert("/a/:x/y", 1);
  const Lookup miss = lookup(tree, "/a/b/z");
  EXPECT_EQ(miss.value, kNoMatch);
  EXPECT_TRUE(miss.params.empty());
}

TEST(RadixTree, MatchesTheRawPercentEncodedPath) {
  const RadixTree tree = tree_of({{"/files/:name", 1}, {"/caf%C3%A9", 2}});
  EXPECT_THAT(lookup(tree, "/files/a%2Fb%20c").params, ElementsAre(Pair("name", "a%2Fb%20c")));
  EXPECT_EQ(value_of(tree, "/caf%C3%A9"), 2u);
  EXPECT_EQ(value_of(tree, "/caf%c3%a9"), kNoMatch);
}

TEST(RadixTree, DuplicatePatternIsRejectedNamingIt) {
  EXPECT_THAT(conflict("/users/:id", "/users/:id"),
              AllOf(HasSubstr("\"/users/:id\" conflicts with \"/users/:id\""), HasSubstr("twice")));
}

TEST(RadixTree, DifferentParamNamesAtOnePositionNameBothRoutes) {
  EXPECT_THAT(conflict("/users/:id/posts", "/users/:name"),
              AllOf(HasSubstr("\"/users/:name\""), HasSubstr("\"/users/:id/posts\""),
                    HasSubstr(":id"), HasSubstr(":name")));
}

TEST(RadixTree, DifferentCatchAllNamesAtOnePositionNameBothRoutes) {
  EXPECT_THAT(conflict("/static/*path", "/static/*file"),
              AllOf(HasSubstr("\"/static/*file\""), HasSubstr("\"/static/*path\"")));
}

TEST(RadixTree, MalformedPatternsAreRejectedNamingThem) {
  const std::vector<std::pair<std::string_view, std::string_view>> cases = {
      {"", "start with '/'"},
      {"users", "start with '/'"},
      {"/users/:", "empty name"},
      {"/users/:/x", "empty name"},
      {"/static/*", "empty name"},
      {"/static/*path/more", "last element"},
      {"/users/id:x", "start a segment"},
      {"/users/:a:b", "start a segment"},
      {"/files/x*y", "start a segment"},
      {"/:id/:id", "used twice"},
      {"/a b", "spaces"},
      {"/a\tb", "control"},
  };
  for (const auto& [pattern, why] : cases) {
    RadixTree tree;
    EXPECT_THAT(rejection(tree, pattern),
                AllOf(HasSubstr("\"" + std::string(pattern) + "\""), HasSubstr(why)));
  }
}

TEST(RadixTree, ReservedNoMatchValueIsRejected) {
  RadixTree tree;
  EXPECT_THROW(tree.insert("/a", kNoMatch), std::invalid_argument);
}

std::string params_pattern(std::size_t count) {
  std::string pattern;
  for (std::size_t i = 0; i < count; ++i)
    pattern += "/:p" + std::to_string(i);
  return pattern;
}

TEST(RadixTree, SixteenParamsBindAndSeventeenAreRejected) {
  RadixTree tree;
  tree.insert(params_pattern(RadixTree::kMaxParams), 1);
  std::string path;
  for (std::size_t i = 0; i < RadixTree::kMaxParams; ++i)
    path += "/v" + std::to_string(i);
  const Lookup hit = lookup(tree, path);
  ASSERT_EQ(hit.params.size(), RadixTree::kMaxParams);
  EXPECT_THAT(hit.params.back(), Pair("p15", "v15"));
  EXPECT_THAT(rejection(tree, params_pattern(RadixTree::kMaxParams + 1)),
              HasSubstr("more than 16 parameters"));
  EXPECT_THAT(rejection(tree, params_pattern(RadixTree::kMaxParams) + "/*rest"),
              HasSubstr("more than 16 parameters"));
}

TEST(RadixTree, FailedInsertLeavesTheTreeAsItWas) {
  RadixTree tree = tree_of({{"/users/:id/posts", 1}, {"/users/list", 2}});
  EXPECT_THAT(rejection(tree, "/users/:name/x"), HasSubstr("conflicts"));
  EXPECT_THAT(rejection(tree, "/users/list"), HasSubstr("twice"));
  EXPECT_EQ(value_of(tree, "/users/list"), 2u);
  EXPECT_EQ(value_of(tree, "/users/li"), kNoMatch);
  EXPECT_EQ(value_of(tree, "/users/7/x"), kNoMatch);
  EXPECT_EQ(value_of(tree, "/users/7/posts"), 1u);
  EXPECT_EQ(tree.size(), 2u);
}

TEST(RadixTree, TrailingSlashHintAddsOrRemovesOneSlash) {
  const RadixTree tree = tree_of({{"/users", 1},
                                  {"/docs/", 2},
                                  {"/static/*path", 3},
                                  {"/items/:id/", 4},
                                  {"/teams/:team", 5}});
  EXPECT_TRUE(tree.has_toggled_slash_match("/users/"));
  EXPECT_TRUE(tree.has_toggled_slash_match("/docs"));
  EXPECT_TRUE(tree.has_toggled_slash_match("/static"));
  EXPECT_TRUE(tree.has_toggled_slash_match("/items/9"));
  EXPECT_TRUE(tree.has_toggled_slash_match("/teams/red/"));
  EXPECT_FALSE(tree.has_toggled_slash_match("/user"));
  EXPECT_FALSE(tree.has_toggled_slash_match("/doc"));
  EXPECT_FALSE(tree.has_toggled_slash_match("/users//"));
  EXPECT_FALSE(tree.has_toggled_slash_match("/teams/red/x"));
  EXPECT_FALSE(tree.has_toggled_slash_match("/"));
  EXPECT_FALSE(tree.has_toggled_slash_match(""));
}

TEST(RadixTree, TrailingSlashHintForTheRootAndAfterABranch) {
  const RadixTree tree = tree_of({{"/", 1}, {"/a/b/", 2}, {"/a/:x", 3}});
  EXPECT_FALSE(tree.has_toggled_slash_match("/"));
  EXPECT_TRUE(tree.has_toggled_slash_match("//"));
  EXPECT_TRUE(tree.has_toggled_slash_match("/a/b"));  // "/a/b" matches ":x", but "/a/b/" too
  EXPECT_FALSE(tree.has_toggled_slash_match("/a"));
}

TEST(RadixTree, WideNodesFindEveryChildAndSurviveSplits) {
  RadixTree tree;
  const std::string first_bytes =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%";
  for (std::size_t i = 0; i < first_bytes.size(); ++i) {
    tree.insert("/x/" + std::string(1, first_bytes[i]) + "tail", static_cast<std::uint32_t>(i));
  }
  tree.insert("/y", 500);  // splits nothing
  tree.insert("/", 501);   // the root keeps its children
  tree.insert("/x", 502);  // "x/" splits into "x" + "/", moving the wide node's table along
  for (std::size_t i = 0; i < first_bytes.size(); ++i) {
    EXPECT_EQ(value_of(tree, "/x/" + std::string(1, first_bytes[i]) + "tail"), i);
  }
  EXPECT_EQ(value_of(tree, "/x"), 502u);
  EXPECT_EQ(value_of(tree, "/x/!tail"), kNoMatch);
}

// Route k of a generated table and a path it matches, with the params that path binds.
struct Generated {
  std::string pattern;
  std::string path;
  std::vector<std::pair<std::string, std::string>> params;
};

Generated generated_route(std::uint32_t k) {
  const std::string base = "/api/v" + std::to_string(k % 9) + "/items" + std::to_string(k);
  switch (k % 4) {
    case 0:
      return {base, base, {}};
    case 1:
      return {base + "/:id", base + "/42", {{"id", "42"}}};
    case 2:
      return {base + "/:id/tags/:tag", base + "/7/tags/red", {{"id", "7"}, {"tag", "red"}}};
    default:
      return {"/assets" + std::to_string(k) + "/*path",
              "/assets" + std::to_string(k) + "/c/s.css",
              {{"path", "c/s.css"}}};
  }
}

TEST(RadixTree, TenThousandGeneratedRoutesAreAllFoundWithTheirValues) {
  constexpr std::uint32_t kRoutes = 10'000;
  RadixTree tree;
  for (std::uint32_t k = 0; k < kRoutes; ++k)
    tree.insert(generated_route(k).pattern, k);
  ASSERT_EQ(tree.size(), kRoutes);
  for (std::uint32_t k = 0; k < kRoutes; ++k) {
    const Generated route = generated_route(k);
    const Lookup hit = lookup(tree, route.path);
    ASSERT_EQ(hit.value, k) << route.path;
    ASSERT_EQ(hit.params, route.params) << route.path;
  }
  EXPECT_EQ(value_of(tree, "/api/v1/items10"), kNoMatch);  // only a prefix of route 10
}

TEST(RadixTree, ConcurrentReadersAgree) {
  RadixTree tree;
  for (std::uint32_t k = 0; k < 1'000; ++k)
    tree.insert(generated_route(k).pattern, k);
  std::vector<std::thread> readers;
  std::array<std::size_t, 4> wrong{};
  for (std::size_t t = 0; t < wrong.size(); ++t) {
    readers.emplace_back([&tree, &wrong, t] {
      for (std::uint32_t k = 0; k < 1'000; ++k) {
        if (value_of(tree, generated_route(k).path) != k) ++wrong[t];
      }
    });
  }
  for (std::thread& reader : readers)
    reader.join();
  EXPECT_EQ(wrong, (std::array<std::size_t, 4>{}));
}

TEST(RadixTree, ParamNamesStayValidAfterTheTreeIsMoved) {
  auto tree = std::make_unique<RadixTree>();
  tree->insert("/:a", 1);  // labels small enough for a small-string buffer, were they strings
  std::array<ParamMatch, RadixTree::kMaxParams> params;
  std::size_t count = 0;
  ASSERT_EQ(tree->find("/x", params, count), 1u);
  const RadixTree moved = std::move(*tree);
  tree.reset();
  EXPECT_EQ(params[0].name, "a");
  EXPECT_EQ(moved.find("/y", params, count), 1u);
}

TEST(RadixTree, PatternLongerThanTheLimitIsRejected) {
  RadixTree tree;
  tree.insert("/" + std::string(RadixTree::kMaxPatternSize - 1, 'a'), 1);
  EXPECT_THAT(rejection(tree, "/" + std::string(RadixTree::kMaxPatternSize, 'b')),
              HasSubstr("may not exceed 65535 bytes"));
}

TEST(RadixTree, ForEachVisitsPatternsInInsertionOrder) {
  const RadixTree tree = tree_of({{"/b", 2}, {"/a/:x", 1}});
  std::vector<std::pair<std::string, std::uint32_t>> seen;
  tree.for_each([&](std::string_view pattern, std::uint32_t value) {
    seen.emplace_back(std::string(pattern), value);
  });
  EXPECT_THAT(seen, ElementsAre(Pair("/b", 2u), Pair("/a/:x", 1u)));
  EXPECT_GT(tree.node_count(), 2u);
}

}  // namespace
}  // namespace surge::detail
