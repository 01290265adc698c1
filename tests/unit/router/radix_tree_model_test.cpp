#include "router/radix_tree.hpp"

// Random route tables checked against a brute-force model of the matching rules: every pattern is
// tried against the path segment by segment, and among the matches the best is the one whose
// segment kinds come first at the first difference (static, then parameter, then catch-all).

#include <array>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

using Bindings = std::vector<std::pair<std::string, std::string>>;

std::vector<std::string> split_segments(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t begin = 1;
  for (std::size_t end; (end = path.find('/', begin)) != std::string_view::npos; begin = end + 1) {
    segments.emplace_back(path.substr(begin, end - begin));
  }
  segments.emplace_back(path.substr(begin));
  return segments;
}

struct ModelMatch {
  std::vector<int> kinds;  // per pattern segment: 0 static, 1 parameter, 2 catch-all
  Bindings params;
};

std::optional<ModelMatch> model_match(std::string_view pattern, std::string_view path) {
  const std::vector<std::string> want = split_segments(pattern);
  const std::vector<std::string> have = split_segments(path);
  ModelMatch result;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (i >= have.size()) return std::nullopt;
    const std::string& segment = want[i];
    if (!segment.empty() && segment[0] == '*') {
      std::string rest = have[i];
      for (std::size_t j = i + 1; j < have.size(); ++j)
        rest += "/" + have[j];
      result.kinds.push_back(2);
      result.params.emplace_back(segment.substr(1), rest);
      return result;
    }
    if (!segment.empty() && segment[0] == ':') {
      if (have[i].empty()) return std::nullopt;
      result.kinds.push_back(1);
      result.params.emplace_back(segment.substr(1), have[i]);
    } else if (segment == have[i]) {
      result.kinds.push_back(0);
    } else {
      return std::nullopt;
    }
  }
  if (want.size() != have.size()) return std::nullopt;
  return result;
}

struct Model {
  std::vector<std::string> patterns;  // accepted ones; the value of patterns[i] is i

  std::pair<std::uint32_t, Bindings> find(std::string_view path) const {
    std::optional<ModelMatch> best;
    std::uint32_t best_value = RadixTree::kNoMatch;
    for (std::size_t i = 0; i < patterns.size(); ++i) {
      std::optional<ModelMatch> match = model_match(patterns[i], path);
      if (match && (!best || match->kinds < best->kinds)) {
        best = std::move(match);
        best_value = static_cast<std::uint32_t>(i);
      }
    }
    return {best_value, best ? best->params : Bindings{}};
  }
};

std::string random_path(std::mt19937& random, bool pattern) {
  static constexpr std::array<std::string_view, 8> kSegments = {"a", "b",  "ab", "a.b",
                                                                "",  "ba", "c",  "%2F"};
  const std::size_t segments = 1 + random() % 4;
  std::string path;
  for (std::size_t i = 0; i < segments; ++i) {
    path += '/';
    const unsigned pick = random() % 12;
    if (pattern && pick >= 10) {
      // Names mostly agree per position, so most wildcards coexist; some clash on purpose.
      path +=
          std::string(pick == 10 ? ":" : "*") + (random() % 5 == 0 ? "q" : "p") + std::to_string(i);
    } else {
      path += kSegments[pick % kSegments.size()];
    }
  }
  return path;
}

TEST(RadixTreeModel, RandomTablesMatchLikeTheBruteForceModel) {
  std::mt19937 random(20240611);
  std::size_t rejected = 0;
  std::size_t matched = 0;
  for (int table = 0; table < 200; ++table) {
    RadixTree tree;
    Model model;
    for (int i = 0; i < 25; ++i) {
      const std::string pattern = random_path(random, true);
      try {
        tree.insert(pattern, static_cast<std::uint32_t>(model.patterns.size()));
        model.patterns.push_back(pattern);
      } catch (const std::invalid_argument&) {
        ++rejected;
      }
    }
    for (int i = 0; i < 80; ++i) {
      const std::string path = random_path(random, false);
      std::array<ParamMatch, RadixTree::kMaxParams> params;
      std::size_t count = 0;
      const std::uint32_t value = tree.find(path, params, count);
      Bindings bound;
      for (std::size_t k = 0; k < count; ++k) {
        bound.emplace_back(std::string(params[k].name), std::string(params[k].value));
      }
      const auto [want_value, want_bound] = model.find(path);
      ASSERT_EQ(value, want_value) << "table " << table << ", path " << path;
      ASSERT_EQ(bound, want_bound) << "table " << table << ", path " << path;
      matched += value != RadixTree::kNoMatch ? 1 : 0;

      const std::string toggled = path.size() > 1 && path.back() == '/'
                                      ? path.substr(0, path.size() - 1)
                                      : (path == "/" ? path : path + "/");
      const bool want_hint = toggled != path && model.find(toggled).first != RadixTree::kNoMatch;
      ASSERT_EQ(tree.has_toggled_slash_match(path), want_hint) << "table " << table << ", " << path;
    }
  }
  // The generator must exercise both sides: matches and misses, accepted and rejected patterns.
  EXPECT_GT(rejected, 100u);
  EXPECT_GT(matched, 2000u);
  EXPECT_LT(matched, 14000u);
}

}  // namespace
}  // namespace surge::detail
