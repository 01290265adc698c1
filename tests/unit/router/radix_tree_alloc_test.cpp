#include "router/radix_tree.hpp"

// Proves that lookups never allocate. This file replaces the global operator new of the whole
// unit_router binary; the replacement only counts, so the other tests are unaffected.

#include <array>
#include <atomic>
#include <cstdlib>
#include <iterator>
#include <new>

#include <gtest/gtest.h>

namespace {

std::atomic<std::size_t> g_allocations{0};

void* counted_allocation(std::size_t size, std::size_t alignment) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  size = size == 0 ? 1 : size;
  void* block = alignment == 0
                    ? std::malloc(size)
                    : std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
  if (block == nullptr) throw std::bad_alloc();
  return block;
}

}  // namespace

// Every form is replaced: a sanitizer runtime supplies its own for any form left out, and would
// then see memory from one family freed by the other.
void* operator new(std::size_t size) {
  return counted_allocation(size, 0);
}
void* operator new[](std::size_t size) {
  return counted_allocation(size, 0);
}
void* operator new(std::size_t size, std::align_val_t align) {
  return counted_allocation(size, static_cast<std::size_t>(align));
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return counted_allocation(size, static_cast<std::size_t>(align));
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_allocation(size, 0);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return ::operator new(size, tag);
}
void operator delete(void* block) noexcept {
  std::free(block);
}
void operator delete[](void* block) noexcept {
  std::free(block);
}
void operator delete(void* block, std::size_t) noexcept {
  std::free(block);
}
void operator delete[](void* block, std::size_t) noexcept {
  std::free(block);
}
void operator delete(void* block, std::align_val_t) noexcept {
  std::free(block);
}
void operator delete[](void* block, std::align_val_t) noexcept {
  std::free(block);
}
void operator delete(void* block, std::size_t, std::align_val_t) noexcept {
  std::free(block);
}
void operator delete[](void* block, std::size_t, std::align_val_t) noexcept {
  std::free(block);
}

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
  const std::size_t before = g_allocations.load();
  for (std::size_t i = 0; i < std::size(paths); ++i) {
    values[i] = tree.find(paths[i], params, count);
    hints[i] = tree.has_toggled_slash_match(paths[i]);
  }
  hints[std::size(paths)] = tree.has_toggled_slash_match("/documentation-and-guides");
  hints[std::size(paths) + 1] = tree.has_toggled_slash_match("/static-assets-directory");
  const std::size_t after = g_allocations.load();

  EXPECT_EQ(after - before, 0u);
  EXPECT_EQ(values, (std::array<std::uint32_t, 5>{2, 1, 4, 67, RadixTree::kNoMatch}));
  // The catch-all matches the third path with a '/' appended too.
  EXPECT_EQ(hints, (std::array<bool, 7>{false, false, true, false, false, true, true}));
}

TEST(RadixTreeAlloc, CounterSeesAllocations) {
  const std::size_t before = g_allocations.load();
  RadixTree tree;
  tree.insert("/a-pattern-longer-than-any-small-string-buffer/:id", 1);
  EXPECT_GT(g_allocations.load(), before);
}

}  // namespace
}  // namespace surge::detail
