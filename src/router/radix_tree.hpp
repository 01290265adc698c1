#pragma once
// RadixTree: URL path patterns to route ids, matched in time that grows with the path, not the
// number of routes.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace surge::detail {

/// One parameter bound by a match. `name` points into the tree (valid while the tree, or the tree
/// it is moved to, lives and is not inserted into); `value` points into the looked-up path and is
/// still percent-encoded.
struct ParamMatch {
  std::string_view name;
  std::string_view value;
};

/// A compressed prefix tree over path patterns (Gin/httprouter syntax):
///   static text     /users/list
///   `:name`         one non-empty segment (no '/'):              /users/:id/posts
///   `*name`         the rest of the path, '/' included, possibly
///                   empty; only as the last element:            /static/*path
/// `:` and `*` must start a segment (follow a '/'); a pattern starts with '/', has no control
/// characters or spaces, is at most kMaxPatternSize bytes long and binds at most kMaxParams
/// parameters (a catch-all counts as one).
///
/// At each position a static segment beats a parameter, which beats a catch-all, whatever the
/// registration order; a lookup that fails down the preferred branch backtracks to the next one
/// (`/a/b/c` and `/a/:x/d` registered: `/a/b/d` matches the second).
///
/// Built on one thread at start-up (insert() throws on a bad or conflicting pattern), then frozen:
/// once insert() is no longer called, the const members are safe to call from any number of
/// threads at once, and never allocate.
class RadixTree final {
 public:
  static constexpr std::size_t kMaxParams = 16;
  static constexpr std::size_t kMaxPatternSize = 0xFFFF;
  static constexpr std::uint32_t kNoMatch = 0xFFFF'FFFF;
  /// Where a lookup writes its parameters: room for every parameter a pattern may bind.
  using Params = std::span<ParamMatch, kMaxParams>;

  RadixTree();

  /// Maps `pattern` to `value` (any value but kNoMatch). Throws std::invalid_argument, with a
  /// message that quotes the pattern (and, for a conflict, the registered pattern it conflicts
  /// with), when the pattern is malformed, is already registered, or names a parameter or
  /// catch-all differently from a registered pattern at the same position. On a throw the tree
  /// is unchanged.
  void insert(std::string_view pattern, std::uint32_t value);

  /// The value of the best pattern matching `path` (see the priorities above), or kNoMatch.
  /// `path` is the target's path without its query, still percent-encoded; it must outlive the
  /// use of the parameter values. On a match params[0, param_count) hold the bound parameters in
  /// pattern order; on kNoMatch param_count is 0. The cost grows with the path's length (plus
  /// the branches a lookup backtracks from), not with the number of routes.
  std::uint32_t find(std::string_view path, Params params, std::size_t& param_count) const;

  /// For a miss under a RedirectTrailingSlash policy: whether `path` would match with its
  /// trailing '/' removed, or with a '/' appended when it has none ("/users/" -> "/users",
  /// "/static" -> "/static/"). The router then redirects to that path. Never true for "/".
  bool has_toggled_slash_match(std::string_view path) const;

  /// Registered patterns, and nodes (a measure of memory and depth), for logs and tests.
  std::size_t size() const { return routes_.size(); }
  std::size_t node_count() const { return nodes_.size(); }

  /// Calls visit(std::string_view pattern, std::uint32_t value) per pattern, in insertion order.
  template <class Visit>
  void for_each(Visit&& visit) const {
    for (const Route& route : routes_) {
      visit(std::string_view(route.pattern), route.value);
    }
  }

 private:
  static constexpr std::uint32_t kNone = 0xFFFF'FFFF;
  // Static children found by scanning first bytes held in the node itself; a node with more gets
  // a 256-entry table. Measured in bench/router_bench.cpp (child_fanout): the scan of up to 8 costs
  // what the table costs, and 8 keeps a node in one cache line.
  static constexpr std::size_t kNarrowFanout = 8;

  // One cache line: a lookup touches one line per node plus the label's bytes.
  struct alignas(64) Node {
    std::uint32_t label_begin = 0;  // the label is labels_[label_begin, label_begin + label_size):
    std::uint16_t label_size = 0;   // static: the bytes matched; wildcard: the name
    std::uint8_t narrow_count = 0;  // children in the inline arrays (unused once `wide` is set)
    std::uint32_t param = kNone;    // the `:name` child
    std::uint32_t catch_all = kNone;  // the `*name` child
    std::uint32_t value = kNoMatch;   // the value of the pattern ending here
    std::uint32_t wide = kNone;       // index into wide_ once there are > kNarrowFanout children
    std::array<char, kNarrowFanout> first_bytes{};        // of each static child
    std::array<std::uint32_t, kNarrowFanout> children{};  // static children, into nodes_
  };
  static_assert(sizeof(Node) == 64);

  struct Route {
    std::string pattern;
    std::uint32_t value;
  };

  // The static child starting with each byte, kNone for none.
  using WideIndex = std::array<std::uint32_t, 256>;

  std::string_view label(const Node& node) const {
    return {labels_.data() + node.label_begin, node.label_size};
  }
  std::uint32_t static_child(const Node& node, char first) const;
  template <bool kSlashAdded>
  std::uint32_t match(std::uint32_t index, std::string_view rest, ParamMatch* params,
                      std::size_t& count) const;
  std::uint32_t value_at_end(std::uint32_t index) const;
  std::uint32_t value_after_slash(const Node& node) const;

  std::uint32_t add_static(std::uint32_t index, std::string_view text);
  std::uint32_t add_wildcard(std::uint32_t index, char sigil, std::string_view name,
                             std::string_view pattern);
  void split(std::uint32_t index, std::size_t at);
  std::uint32_t new_node(std::string_view text);
  void link_child(std::uint32_t parent, std::uint32_t child);

  std::vector<Node> nodes_;   // nodes_[0] is the root, labelled "/"
  std::vector<char> labels_;  // every label back to back; a vector keeps its buffer when moved
  std::vector<WideIndex> wide_;
  std::vector<std::string> wildcard_owner_;  // per node: the pattern that created a wildcard node
  std::vector<Route> routes_;                // for size() and for_each()
};

}  // namespace surge::detail
