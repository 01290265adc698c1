// RadixTree lookups against route tables of 10, 1,000 and 10,000 patterns. The probe paths exist in
// every table, so the figures compare table sizes, not path lengths. Each benchmark also reports
// allocations per lookup, counted by the replaced global operator new below (the target is 0).
#include <array>
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "router/radix_tree.hpp"

namespace {

std::atomic<std::size_t> g_allocations{0};

}  // namespace

// The array and nothrow forms default to these. (A sanitizer build would want every form
// replaced, as tests/unit/router/radix_tree_alloc_test.cpp does; benchmarks run in Release.)
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* block = std::malloc(size == 0 ? 1 : size)) return block;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, std::align_val_t align) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  const auto alignment = static_cast<std::size_t>(align);
  if (void* block = std::aligned_alloc(alignment, (size / alignment + 1) * alignment)) {
    return block;
  }
  throw std::bad_alloc();
}
void operator delete(void* block) noexcept {
  std::free(block);
}
void operator delete(void* block, std::size_t) noexcept {
  std::free(block);
}
void operator delete(void* block, std::align_val_t) noexcept {
  std::free(block);
}
void operator delete(void* block, std::size_t, std::align_val_t) noexcept {
  std::free(block);
}

namespace {

using surge::detail::ParamMatch;
using surge::detail::RadixTree;

// A REST-ish API: per resource a list, a search, an item, nested posts and comments, and a file
// tree; resources spread over four API versions. Entry i of the same sequence is the same in
// every table, so smaller tables are prefixes of larger ones.
struct Table {
  std::vector<std::string> patterns;
  std::vector<std::string> paths;  // one path matching each pattern
};

Table make_table(std::size_t routes) {
  Table table;
  for (std::size_t r = 0; table.patterns.size() < routes; ++r) {
    const std::string base =
        "/api/v" + std::to_string(r % 4 + 1) + "/resource" + std::to_string(r / 4);
    const std::pair<std::string, std::string> shapes[] = {
        {base, base},
        {base + "/search", base + "/search"},
        {base + "/:id", base + "/12345"},
        {base + "/:id/posts/:post", base + "/12345/posts/678"},
        {base + "/:id/posts/:post/comments", base + "/12345/posts/678/comments"},
        {base + "/files/*path", base + "/files/img/2024/logo.png"},
    };
    for (const auto& [pattern, path] : shapes) {
      if (table.patterns.size() == routes) break;
      table.patterns.push_back(pattern);
      table.paths.push_back(path);
    }
  }
  return table;
}

RadixTree make_tree(const Table& table) {
  RadixTree tree;
  for (std::size_t i = 0; i < table.patterns.size(); ++i) {
    tree.insert(table.patterns[i], static_cast<std::uint32_t>(i));
  }
  return tree;
}

// Looks up `paths` round-robin; checks every answer once before timing.
void run_lookups(benchmark::State& state, const RadixTree& tree,
                 const std::vector<std::string>& paths) {
  std::array<ParamMatch, RadixTree::kMaxParams> params;
  std::size_t count = 0;
  for (const std::string& path : paths) {
    if (tree.find(path, params, count) == RadixTree::kNoMatch) {
      state.SkipWithError(("no match for " + path).c_str());
      return;
    }
  }
  std::size_t next = 0;
  const std::size_t before = g_allocations.load(std::memory_order_relaxed);
  for (auto _ : state) {
    benchmark::DoNotOptimize(tree.find(paths[next], params, count));
    benchmark::DoNotOptimize(params.data());
    if (++next == paths.size()) next = 0;
  }
  const auto allocations =
      static_cast<double>(g_allocations.load(std::memory_order_relaxed) - before);
  state.counters["allocs/lookup"] =
      benchmark::Counter(allocations, benchmark::Counter::kAvgIterations);
  state.counters["nodes"] = static_cast<double>(tree.node_count());
}

void lookup_probe(benchmark::State& state, const char* path) {
  const RadixTree tree = make_tree(make_table(static_cast<std::size_t>(state.range(0))));
  run_lookups(state, tree, {path});
}

void lookup_static(benchmark::State& state) {
  lookup_probe(state, "/api/v1/resource0/search");
}
void lookup_two_params(benchmark::State& state) {
  lookup_probe(state, "/api/v1/resource0/12345/posts/678");
}
void lookup_catch_all(benchmark::State& state) {
  lookup_probe(state, "/api/v1/resource0/files/img/2024/logo.png");
}

// Every route of the table in turn (at most 1,024, spread evenly): branch predictors and caches
// see a realistic mix rather than one path.
void lookup_mixed(benchmark::State& state) {
  const Table table = make_table(static_cast<std::size_t>(state.range(0)));
  const std::size_t stride = table.paths.size() / 1024 + 1;
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < table.paths.size(); i += stride) {
    paths.push_back(table.paths[i]);
  }
  run_lookups(state, make_tree(table), paths);
}

// One node with range(0) static children, probed for its last child: how the first-byte index
// behaves as a node gets wide (see RadixTree::kNarrowFanout).
void child_fanout(benchmark::State& state) {
  static constexpr std::string_view kBytes =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  RadixTree tree;
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < static_cast<std::size_t>(state.range(0)); ++i) {
    paths.assign(1, "/n/" + std::string(1, kBytes[i]) + "x");
    tree.insert(paths.front(), static_cast<std::uint32_t>(i));
  }
  run_lookups(state, tree, paths);
}

BENCHMARK(lookup_static)->Arg(10)->Arg(1'000)->Arg(10'000);
BENCHMARK(lookup_two_params)->Arg(10)->Arg(1'000)->Arg(10'000);
BENCHMARK(lookup_catch_all)->Arg(10)->Arg(1'000)->Arg(10'000);
BENCHMARK(lookup_mixed)->Arg(10)->Arg(1'000)->Arg(10'000);
BENCHMARK(child_fanout)->Arg(4)->Arg(8)->Arg(16)->Arg(62);

}  // namespace

BENCHMARK_MAIN();
