#include "router/radix_tree.hpp"

// Proves that lookups never allocate, with the counting operator new of tests/support.

#include <array>
#include <iterator>

#include <gtest/gtest.h>

#include "support/allocation_counter.hpp"

namespace surge::detail {
namespace {

TEST(RadixTreeAlloc, LookupsAndTrailingSlashHintsNeverAllocate) {
  RadixTree tree;
  // Long labels and names, so a copy into std::string could not hide in the small-string buffer.
  tree.insert("/api/v1/organisations/:organisation_id/projects/:project_identifier", 1);
  tree.insert("/api/v1/organisations/:organisation_id/projects/archived-projects-list", 2);
  tree.insert("/api/v1/organisations/well-known-organisation/projects/:project_id/x", 3);
  tree.insert("/static-assets-directory/*remaining_path_of_the_asset", 4);
  tree.insert("/documentation-and-guides/", 5);
  for (std::uint32_t i = 0; i < 100; ++i) {
    tree.insert("/wide/" + std::to_string(i) + "/leaf", 10 + i);
  }

  const char* const paths[] = {
      "/api/v1/organisations/acme-corporation-international/projects/archived-projects-list",
      "/api/v1/organisations/well-known-organisation/projects/some-project-name",  // backtracks
      "/static-assets-directory/css/themes/dark/site.min.css",
      "/wide/57/leaf",
      "/no/such/route/anywhere/in/this/tree/at/all",
  };
  std::array<ParamMatch, RadixTree::kMaxParams> params;
  std::size_t count = 0;
  std::array<std::uint32_t, std::size(paths)> values{};
  std::array<bool, std::size(paths) + 2> hints{};
  const std::uint64_t before = surge::test::allocation_count();
  for (std::size_t i = 0; i < std::size(paths); ++i) {
    values[i] = tree.find(paths[i], params, count);
    hints[i] = tree.has_toggled_slash_match(paths[i]);
  }
  hints[std::size(paths)] = tree.has_toggled_slash_match("/documentation-and-guides");
  hints[std::size(paths) + 1] = tree.has_toggled_slash_match("/static-assets-directory");
  const std::uint64_t after = surge::test::allocation_count();

  EXPECT_EQ(after - before, 0u);
  EXPECT_EQ(values, (std::array<std::uint32_t, 5>{2, 1, 4, 67, RadixTree::kNoMatch}));
  // The catch-all matches the third path with a '/' appended too.
  EXPECT_EQ(hints, (std::array<bool, 7>{false, false, true, false, false, true, true}));
}

TEST(RadixTreeAlloc, CounterSeesAllocations) {
  const std::uint64_t before = surge::test::allocation_count();
  RadixTree tree;
  tree.insert("/a-pattern-longer-than-any-small-string-buffer/:id", 1);
  EXPECT_GT(surge::test::allocation_count(), before);
}

}  // namespace
}  // namespace surge::detail
