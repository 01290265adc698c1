#include "router/radix_tree.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace surge::detail {
namespace {

// One element of a parsed pattern: static text, or the name of a parameter or catch-all.
struct Piece {
  char sigil;  // 0 for static text, ':' or '*'
  std::string_view text;
};

[[noreturn]] void reject(std::string_view pattern, std::string_view why) {
  throw std::invalid_argument("route \"" + std::string(pattern) + "\": " + std::string(why));
}

[[noreturn]] void reject_conflict(std::string_view pattern, std::string_view registered,
                                  std::string_view why) {
  throw std::invalid_argument("route \"" + std::string(pattern) + "\" conflicts with \"" +
                              std::string(registered) + "\": " + std::string(why));
}

void check_name(std::string_view pattern, char sigil, std::string_view name, bool last,
                const std::vector<Piece>& before) {
  const std::string shown = sigil + std::string(name);
  if (name.empty()) {
    reject(pattern,
           sigil == ':' ? "a parameter has an empty name" : "a catch-all has an empty name");
  }
  if (name.find_first_of(":*") != std::string_view::npos) {
    reject(pattern, "\"" + shown + "\": ':' and '*' may only start a segment");
  }
  if (sigil == '*' && !last) {
    reject(pattern, "catch-all \"" + shown + "\" must be the last element");
  }
  for (const Piece& piece : before) {
    if (piece.sigil != 0 && piece.text == name) {
      reject(pattern, "parameter name \"" + std::string(name) + "\" is used twice");
    }
  }
}

// Splits a pattern into pieces; throws on anything malformed. The first piece is static text
// starting with '/', and every wildcard follows static text ending in '/'.
std::vector<Piece> parse(std::string_view pattern) {
  constexpr std::size_t kMaxParams = RadixTree::kMaxParams;
  constexpr std::size_t kMaxSize = RadixTree::kMaxPatternSize;
  if (pattern.empty() || pattern.front() != '/') reject(pattern, "a pattern must start with '/'");
  if (pattern.size() > kMaxSize) {
    reject(pattern, "a pattern may not exceed " + std::to_string(kMaxSize) + " bytes");
  }
  for (const char c : pattern) {
    // Such bytes cannot appear in a request target, so a pattern holding one could never match.
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) {
      reject(pattern, "a pattern may not contain spaces or control characters");
    }
  }
  std::vector<Piece> pieces;
  std::size_t params = 0;
  std::size_t static_begin = 0;
  for (std::size_t i = 0; i < pattern.size();) {
    const char sigil = pattern[i];
    if (sigil != ':' && sigil != '*') {
      ++i;
      continue;
    }
    if (pattern[i - 1] != '/') reject(pattern, "':' and '*' may only start a segment");
    const std::size_t end = std::min(pattern.find('/', i), pattern.size());
    const std::string_view name = pattern.substr(i + 1, end - i - 1);
    check_name(pattern, sigil, name, end == pattern.size(), pieces);
    if (++params > kMaxParams) {
      reject(pattern, "more than " + std::to_string(kMaxParams) + " parameters");
    }
    pieces.push_back({0, pattern.substr(static_begin, i - static_begin)});
    pieces.push_back({sigil, name});
    i = static_begin = end;
  }
  if (static_begin < pattern.size()) pieces.push_back({0, pattern.substr(static_begin)});
  return pieces;
}

}  // namespace

RadixTree::RadixTree() {
  new_node("/");
}

void RadixTree::insert(std::string_view pattern, std::uint32_t value) {
  if (value == kNoMatch) reject(pattern, "the value kNoMatch is reserved");
  const std::vector<Piece> pieces = parse(pattern);
  // A conflict is only ever found on a node this call has not changed: once a label is split or a
  // node added, everything below is new. So a throw leaves the tree as it was.
  std::uint32_t index = add_static(0, pieces.front().text.substr(1));  // the root holds the '/'
  for (const Piece& piece : std::span(pieces).subspan(1)) {
    if (piece.sigil == 0) {
      index = add_static(index, piece.text);
    } else {
      index = add_wildcard(index, piece.sigil, piece.text, pattern);
    }
  }
  if (nodes_[index].value != kNoMatch) {
    // Same static text and same wildcard names all the way down: the very same pattern.
    reject_conflict(pattern, pattern, "the pattern is registered twice");
  }
  routes_.push_back({std::string(pattern), value});
  nodes_[index].value = value;
}

std::uint32_t RadixTree::add_static(std::uint32_t index, std::string_view text) {
  while (!text.empty()) {
    const std::uint32_t child = static_child(nodes_[index], text.front());
    if (child == kNone) {
      const std::uint32_t leaf = new_node(text);
      link_child(index, leaf);
      return leaf;
    }
    const std::string_view existing = label(nodes_[child]);
    const std::size_t common = static_cast<std::size_t>(
        std::mismatch(existing.begin(), existing.end(), text.begin(), text.end()).first -
        existing.begin());
    if (common < existing.size()) split(child, common);
    index = child;
    text.remove_prefix(common);
  }
  return index;
}

// `sigil` is ':' for a parameter, '*' for a catch-all.
std::uint32_t RadixTree::add_wildcard(std::uint32_t index, char sigil, std::string_view name,
                                      std::string_view pattern) {
  const std::uint32_t existing = sigil == ':' ? nodes_[index].param : nodes_[index].catch_all;
  if (existing != kNone) {
    const std::string_view registered = label(nodes_[existing]);
    if (registered != name) {
      reject_conflict(pattern, wildcard_owner_[existing],
                      std::string(sigil == ':' ? "parameter \"" : "catch-all \"") + sigil +
                          std::string(name) + "\" and \"" + sigil + std::string(registered) +
                          "\" at the same position");
    }
    return existing;
  }
  const std::uint32_t child = new_node(name);
  wildcard_owner_[child] = pattern;
  (sigil == ':' ? nodes_[index].param : nodes_[index].catch_all) = child;
  return child;
}

// Cuts nodes_[index]'s label at `at`: the node keeps the head, a new child takes the tail and
// everything that hung below. The node keeps its index, so its parent's links stay valid, and
// both halves keep their bytes where they are in labels_.
void RadixTree::split(std::uint32_t index, std::size_t at) {
  Node tail = nodes_[index];
  tail.label_begin += static_cast<std::uint32_t>(at);
  tail.label_size -= static_cast<std::uint16_t>(at);
  nodes_.push_back(tail);
  wildcard_owner_.emplace_back();
  Node& head = nodes_[index];
  head = Node{};
  head.label_begin = tail.label_begin - static_cast<std::uint32_t>(at);
  head.label_size = static_cast<std::uint16_t>(at);
  link_child(index, static_cast<std::uint32_t>(nodes_.size() - 1));
}

std::uint32_t RadixTree::new_node(std::string_view text) {
  Node node;
  node.label_begin = static_cast<std::uint32_t>(labels_.size());
  node.label_size = static_cast<std::uint16_t>(text.size());
  labels_.insert(labels_.end(), text.begin(), text.end());
  nodes_.push_back(node);
  wildcard_owner_.emplace_back();
  return static_cast<std::uint32_t>(nodes_.size() - 1);
}

void RadixTree::link_child(std::uint32_t parent, std::uint32_t child) {
  const char first = labels_[nodes_[child].label_begin];
  Node& node = nodes_[parent];
  if (node.wide == kNone && node.narrow_count < kNarrowFanout) {
    node.first_bytes[node.narrow_count] = first;
    node.children[node.narrow_count++] = child;
    return;
  }
  if (node.wide == kNone) {
    node.wide = static_cast<std::uint32_t>(wide_.size());
    WideIndex& table = wide_.emplace_back();
    table.fill(kNone);
    for (std::size_t slot = 0; slot < node.narrow_count; ++slot) {
      table[static_cast<unsigned char>(node.first_bytes[slot])] = node.children[slot];
    }
    node.narrow_count = 0;
  }
  wide_[node.wide][static_cast<unsigned char>(first)] = child;
}

std::uint32_t RadixTree::static_child(const Node& node, char first) const {
  for (std::size_t slot = 0; slot < node.narrow_count; ++slot) {
    if (node.first_bytes[slot] == first) return node.children[slot];
  }
  return node.wide == kNone ? kNone : wide_[node.wide][static_cast<unsigned char>(first)];
}

// What a path that ends exactly where nodes_[index] ends matches: the node's own pattern, or its
// catch-all with an empty remainder.
std::uint32_t RadixTree::value_at_end(std::uint32_t index) const {
  const Node& node = nodes_[index];
  if (node.value != kNoMatch) return node.value;
  return node.catch_all != kNone ? nodes_[node.catch_all].value : kNoMatch;
}

// What the one '/' left of a path matches when the rest of the path ended at `node`: a child
// labelled "/" that ends a pattern or holds a catch-all.
std::uint32_t RadixTree::value_after_slash(const Node& node) const {
  const std::uint32_t slash = static_child(node, '/');
  return slash != kNone && nodes_[slash].label_size == 1 ? value_at_end(slash) : kNoMatch;
}

// Matches `rest`, the path after nodes_[index]'s label, trying static, then parameter, then
// catch-all children. The loop walks on without recursing where a node leaves no alternative to
// come back to, so recursion depth is the number of real branch points on the way. With
// kSlashAdded the path is matched as if it ended in one more '/' (the byte is never part of a
// bound value, as only the yes/no answer is used). On kNoMatch `count` is as on entry.
template <bool kSlashAdded>
std::uint32_t RadixTree::match(std::uint32_t index, std::string_view rest, ParamMatch* params,
                               std::size_t& count) const {
  const std::size_t entry_count = count;
  for (;;) {
    const Node& node = nodes_[index];
    if (rest.empty()) {
      const std::uint32_t value = kSlashAdded ? value_after_slash(node) : node.value;
      if (value != kNoMatch) return value;
      if (node.catch_all != kNone) break;
      count = entry_count;
      return kNoMatch;
    }
    const bool has_alternative = node.param != kNone || node.catch_all != kNone;
    if (const std::uint32_t next = static_child(node, rest.front()); next != kNone) {
      const std::string_view next_label = label(nodes_[next]);
      if (rest.starts_with(next_label)) {
        if (!has_alternative) {
          index = next;
          rest.remove_prefix(next_label.size());
          continue;
        }
        const std::uint32_t value =
            match<kSlashAdded>(next, rest.substr(next_label.size()), params, count);
        if (value != kNoMatch) return value;
      } else if constexpr (kSlashAdded) {
        if (next_label.size() == rest.size() + 1 && next_label.back() == '/' &&
            next_label.starts_with(rest) && value_at_end(next) != kNoMatch) {
          return value_at_end(next);
        }
      }
    }
    if (node.param != kNone) {
      const std::size_t end = std::min(rest.find('/'), rest.size());
      if (end != 0) {
        params[count++] = {label(nodes_[node.param]), rest.substr(0, end)};
        if (node.catch_all == kNone) {
          index = node.param;
          rest.remove_prefix(end);
          continue;
        }
        const std::uint32_t value = match<kSlashAdded>(node.param, rest.substr(end), params, count);
        if (value != kNoMatch) return value;
        --count;
      }
    }
    if (node.catch_all != kNone) break;
    count = entry_count;
    return kNoMatch;
  }
  const Node& catch_all = nodes_[nodes_[index].catch_all];
  params[count++] = {label(catch_all), rest};
  return catch_all.value;
}

std::uint32_t RadixTree::find(std::string_view path, Params params,
                              std::size_t& param_count) const {
  param_count = 0;
  if (path.empty() || path.front() != '/') return kNoMatch;
  return match<false>(0, path.substr(1), params.data(), param_count);
}

bool RadixTree::has_toggled_slash_match(std::string_view path) const {
  if (path.size() < 2 || path.front() != '/') return false;
  std::array<ParamMatch, kMaxParams> ignored;
  std::size_t count = 0;
  if (path.back() == '/') return find(path.substr(0, path.size() - 1), ignored, count) != kNoMatch;
  return match<true>(0, path.substr(1), ignored.data(), count) != kNoMatch;
}

}  // namespace surge::detail
