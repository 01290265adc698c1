#include "handlers/file_variant_cache.hpp"

#include <functional>
#include <iterator>
#include <utility>

namespace surge::detail {

std::size_t FileVariantCache::NameHash::operator()(const Name& name) const noexcept {
  return std::hash<std::string_view>{}(name.path) * 31 + static_cast<std::size_t>(name.coding);
}

bool FileVariantCache::same_version(const Entry& entry, const FileVariantKey& key) {
  return entry.size == key.size && entry.mtime_seconds == key.mtime_seconds &&
         entry.mtime_nanoseconds == key.mtime_nanoseconds;
}

void FileVariantCache::erase(Lru::iterator entry) {
  index_.erase(Name{entry->path, entry->coding});
  used_ -= entry->charge();
  lru_.erase(entry);
}

const std::string* FileVariantCache::find(const FileVariantKey& key) {
  const auto found = index_.find(Name{key.path, key.coding});
  if (found == index_.end()) return nullptr;
  const Lru::iterator entry = found->second;
  if (!same_version(*entry, key)) {
    erase(entry);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, entry);
  return &entry->bytes;
}

const std::string* FileVariantCache::insert(const FileVariantKey& key, std::string&& bytes) {
  const std::uint64_t charge = key.path.size() + bytes.size();
  if (charge > budget_) return nullptr;
  if (const auto old = index_.find(Name{key.path, key.coding}); old != index_.end()) {
    erase(old->second);
  }
  while (used_ + charge > budget_)
    erase(std::prev(lru_.end()));
  // Everything that may throw happens before bytes is taken: the node and the path in a list of
  // its own, then the index entry naming it; splicing it in cannot fail.
  Lru fresh;
  fresh.push_back(Entry{std::string(key.path), key.coding, key.size, key.mtime_seconds,
                        key.mtime_nanoseconds, std::string()});
  const Lru::iterator entry = fresh.begin();
  index_.emplace(Name{entry->path, entry->coding}, entry);
  entry->bytes = std::move(bytes);
  lru_.splice(lru_.begin(), fresh, entry);
  used_ += charge;
  return &entry->bytes;
}

}  // namespace surge::detail
