#pragma once
// FileVariantCache: one worker's compressed copies of files, the least recently used evicted
// first to stay within a byte budget.

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "encoding/content_coding.hpp"

namespace surge::detail {

/// One version of one file in one coding. A file whose size or modification time changed is
/// another version: its old copy is never served.
struct FileVariantKey {
  std::string_view path;   // the file below the root, as resolved ("docs/index.html")
  std::uint64_t size = 0;  // bytes of the file (not of the copy)
  std::int64_t mtime_seconds = 0;
  std::uint32_t mtime_nanoseconds = 0;
  ContentCoding coding = ContentCoding::kIdentity;
};

/// Pure bookkeeping: no I/O, the caller reads and compresses. Each entry is charged the bytes of
/// its copy plus those of its path; the charges never sum above budget_bytes. One entry per path
/// and coding: storing a newer version replaces the older one, and looking up a version drops an
/// entry of another version of that file (the file changed on disk: the copy is garbage).
///
/// Thread-safety: none; one per worker. Movable (a move keeps the entries, and the pointers
/// handed out stay valid).
class FileVariantCache final {
 public:
  explicit FileVariantCache(std::uint64_t budget_bytes) : budget_(budget_bytes) {}

  /// The copy stored for key, now the most recently used; null when there is none. The pointer
  /// is valid until the next insert() or find() on this cache.
  const std::string* find(const FileVariantKey& key);

  /// Stores bytes as key's copy, evicting the least recently used entries as needed, and returns
  /// the stored copy (valid as find()'s). Null, with nothing changed, when the entry alone would
  /// be charged more than the budget. `bytes` is moved from only when it is stored. Throws
  /// std::bad_alloc when out of memory, with bytes untouched and the cache consistent (it may
  /// have dropped entries).
  const std::string* insert(const FileVariantKey& key, std::string&& bytes);

  std::size_t size() const { return index_.size(); }
  /// The charges of the entries stored, at most budget_bytes().
  std::uint64_t used_bytes() const { return used_; }
  std::uint64_t budget_bytes() const { return budget_; }

 private:
  struct Entry {
    std::string path;
    ContentCoding coding;
    std::uint64_t size;
    std::int64_t mtime_seconds;
    std::uint32_t mtime_nanoseconds;
    std::string bytes;

    std::uint64_t charge() const { return path.size() + bytes.size(); }
  };
  using Lru = std::list<Entry>;  // most recently used first; nodes never move
  // The index's keys view the path of their entry.
  struct Name {
    std::string_view path;
    ContentCoding coding;
    bool operator==(const Name&) const = default;
  };
  struct NameHash {
    std::size_t operator()(const Name& name) const noexcept;
  };

  static bool same_version(const Entry& entry, const FileVariantKey& key);
  void erase(Lru::iterator entry);

  std::uint64_t budget_;
  std::uint64_t used_ = 0;
  Lru lru_;
  std::unordered_map<Name, Lru::iterator, NameHash> index_;
};

}  // namespace surge::detail
