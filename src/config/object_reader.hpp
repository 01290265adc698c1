#pragma once
// ObjectReader: reads the keys of one JSON object of a configuration file, typed and with the JSON
// path of every error. The only code in src/config that knows nlohmann/json; the section readers
// see JsonValue, an opaque view of a value, and ask for keys.

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "config/field_rules.hpp"

namespace surge::detail {

/// One value of a parsed document, viewed (the document outlives it). For the few keys whose
/// value may have more than one type ("method": a string or a list).
class JsonValue final {
 public:
  explicit JsonValue(const nlohmann::json& value) : value_(&value) {}

  bool is_null() const;
  bool is_string() const;
  bool is_array() const;
  bool is_object() const;
  /// The string; precondition is_string().
  std::string string() const;
  /// The value when it is an integer that fits 64 signed bits.
  std::optional<std::int64_t> integer() const;
  /// Elements of an array (precondition is_array()).
  std::vector<JsonValue> elements() const;
  /// The value as compact JSON text.
  std::string dump() const;

 private:
  friend class ObjectReader;
  const nlohmann::json* value_;
};

/// Reads one JSON object, remembering which keys were asked for so that finish() can refuse the
/// rest (with the closest known key as a suggestion). Every error is a ConfigError naming the file
/// and the JSON path (RFC 6901 pointer) of the key. Each read leaves `out` as it was when the key
/// is absent: the struct's default stays.
class ObjectReader final {
 public:
  /// Throws ConfigError unless `object` is an object.
  ObjectReader(JsonValue object, std::string path, const std::string& file);

  bool has(const std::string& key) const;
  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }
  std::string path_of(const std::string& key) const { return path_ + "/" + key; }
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

  template <class T>
  void integer(const std::string& key, T& out, IntRange range) {
    if (const std::optional<std::int64_t> n = read_integer(key, range)) out = static_cast<T>(*n);
  }
  void duration_ms(const std::string& key, std::chrono::milliseconds& out, IntRange range);
  /// Every numeric key of config's struct, each with its range (visit_fields, field_rules.hpp).
  template <class Config>
  void fields(Config& config) {
    visit_fields(config, [this](const char* key, auto& field, IntRange range) { numeric_field(key, field, range); });
  }
  void boolean(const std::string& key, bool& out);
  void string(const std::string& key, std::string& out);
  void strings(const std::string& key, std::vector<std::string>& out);
  void number(const std::string& key, double& out, double min, double max);
  /// An array of increasing positive numbers (histogram bounds).
  void bounds(const std::string& key, std::vector<double>& out);
  /// The value of key, or nullopt when absent.
  std::optional<JsonValue> value(const std::string& key);

  /// Calls read on the sub-object at key if present, then refuses its unknown keys.
  void object(const std::string& key, const std::function<void(ObjectReader&)>& read);
  /// Calls read(name, value) on each member of the object at key, in key order; fails with
  /// `not_an_object` when the value is something else.
  void members(const std::string& key, const std::string& not_an_object,
               const std::function<void(const std::string& name, JsonValue value)>& read);
  /// Calls read(reader) on each element of the array at key (each an object read by its own
  /// ObjectReader, finished after); fails with `not_an_array` when the value is something else.
  void elements(const std::string& key, const std::string& not_an_array,
                const std::function<void(ObjectReader&)>& read);
  /// A reader for an object below this one (`sub`: "rate_limits/api").
  ObjectReader nested(JsonValue object, const std::string& sub) const;

  /// Runs a config struct's validate(): an InvalidField becomes a ConfigError at the field's key
  /// below this object.
  void check(const std::function<void()>& validate) const;

  /// Every key must have been asked for: anything else is a typo or an unsupported setting.
  void finish() const;

 private:
  std::optional<std::int64_t> read_integer(const std::string& key, IntRange range);
  void numeric_field(const std::string& key, std::chrono::milliseconds& out, IntRange range) {
    duration_ms(key, out, range);
  }
  template <std::integral T>
  void numeric_field(const std::string& key, T& out, IntRange range) {
    integer(key, out, range);
  }
  const nlohmann::json* take(const std::string& key);

  JsonValue object_;
  std::string path_;
  const std::string& file_;
  std::set<std::string> seen_;  // every key this object knows (read, or asked for and absent)
};

/// Parses a configuration's text and reads it: read(root) on the top-level object, then
/// root.finish(). A first pass over the text, before any document is built, refuses numbers
/// beyond a double and nesting deeper than 64 levels with their JSON path. Throws ConfigError
/// naming `file`, and nothing else.
void read_document(std::string_view text, const std::string& file,
                   const std::function<void(ObjectReader& root)>& read);

}  // namespace surge::detail
