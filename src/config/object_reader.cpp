#include "config/object_reader.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include <surge/error.hpp>

namespace surge::detail {
namespace {

using nlohmann::json;

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

/// The first pass over a configuration's text, before any document is built: nlohmann's event
/// (SAX) parser keeps only a stack of flags, so it reads any text without recursing. It finds
/// what the document would hide or choke on, with the JSON path where it is: a number too large
/// for a double (1e999: nlohmann throws out_of_range, not parse_error, while building a
/// document), and nesting deeper than kMaxNesting. The document is built only after this pass,
/// so no deep document ever exists: its copies, comparisons and dump() recurse once per level,
/// and 100,000 levels overflow the stack.
class DocumentCheck final : public nlohmann::json_sax<json> {
 public:
  static constexpr std::size_t kMaxNesting = 64;

  /// Throws ConfigError naming file and the JSON path of the problem, if there is one.
  static void run(std::string_view text, const std::string& file) {
    DocumentCheck check;
    if (json::sax_parse(text.begin(), text.end(), &check, nlohmann::json::input_format_t::json,
                        /*strict=*/true, /*ignore_comments=*/false)) {
      return;
    }
    throw ConfigError(file, check.error_path_, check.error_);
  }

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override { return open(false); }
  bool key(string_t& key) override {
    frames_.back().key = key;
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(true); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string& token,
                   const nlohmann::detail::exception& e) override {
    if (e.id == 406) {
      // out_of_range.406: the number does not fit a double.
      error_path_ = path();
      error_ = "number out of range: " + token.substr(0, 40);
    } else {
      error_ = std::string("not valid JSON: ") + e.what();
    }
    return false;
  }

 private:
  struct Frame {
    bool array;
    std::size_t index = 0;  // array: the element being read
    std::string key;        // object: the member being read
  };

  bool open(bool array) {
    if (frames_.size() == kMaxNesting) {
      error_path_ = path();
      error_ = "nested deeper than " + std::to_string(kMaxNesting) +
               " levels (the limit for a configuration document)";
      return false;
    }
    frames_.push_back({array, 0, {}});
    return true;
  }
  bool close() {
    frames_.pop_back();
    return value();
  }
  bool value() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    return true;
  }
  std::string path() const {
    std::string out;
    for (const Frame& f : frames_) out += "/" + (f.array ? std::to_string(f.index) : f.key);
    return out;
  }

  std::vector<Frame> frames_;
  std::string error_path_;
  std::string error_;
};

}  // namespace

// --- JsonValue ---

bool JsonValue::is_null() const { return value_->is_null(); }
bool JsonValue::is_string() const { return value_->is_string(); }
bool JsonValue::is_array() const { return value_->is_array(); }
bool JsonValue::is_object() const { return value_->is_object(); }
std::string JsonValue::string() const { return value_->get<std::string>(); }

std::optional<std::int64_t> JsonValue::integer() const {
  if (value_->is_number_unsigned()) {
    const auto n = value_->get<std::uint64_t>();
    if (n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(n);
  }
  if (value_->is_number_integer()) return value_->get<std::int64_t>();
  return std::nullopt;
}

std::vector<JsonValue> JsonValue::elements() const {
  std::vector<JsonValue> out;
  for (const json& element : *value_) out.emplace_back(element);
  return out;
}

std::string JsonValue::dump() const { return value_->dump(); }

// --- ObjectReader ---

ObjectReader::ObjectReader(JsonValue object, std::string path, const std::string& file)
    : object_(object), path_(std::move(path)), file_(file) {
  if (!object_.is_object()) throw ConfigError(file_, path_.empty() ? "/" : path_, "expected an object");
}

bool ObjectReader::has(const std::string& key) const { return object_.value_->contains(key); }

void ObjectReader::fail(const std::string& key, const std::string& message) const {
  throw ConfigError(file_, path_of(key), message);
}

std::optional<std::int64_t> ObjectReader::read_integer(const std::string& key, IntRange range) {
  const json* value = take(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number_integer() && !value->is_number_unsigned()) fail(key, "expected an integer");
  if (value->is_number_unsigned() && value->get<std::uint64_t>() > static_cast<std::uint64_t>(range.max)) {
    fail(key, range.message());
  }
  const auto n = value->get<std::int64_t>();
  if (!range.contains(n)) fail(key, range.message());
  return n;
}

void ObjectReader::duration_ms(const std::string& key, std::chrono::milliseconds& out, IntRange range) {
  std::int64_t n = out.count();
  integer(key, n, range);
  out = std::chrono::milliseconds(n);
}

void ObjectReader::boolean(const std::string& key, bool& out) {
  const json* value = take(key);
  if (value == nullptr) return;
  if (!value->is_boolean()) fail(key, "expected true or false");
  out = value->get<bool>();
}

void ObjectReader::string(const std::string& key, std::string& out) {
  const json* value = take(key);
  if (value == nullptr) return;
  if (!value->is_string()) fail(key, "expected a string");
  out = value->get<std::string>();
}

void ObjectReader::strings(const std::string& key, std::vector<std::string>& out) {
  const json* value = take(key);
  if (value == nullptr) return;
  if (!value->is_array()) fail(key, "expected an array of strings");
  out.clear();
  for (std::size_t i = 0; i < value->size(); ++i) {
    if (!(*value)[i].is_string()) fail(key + "/" + std::to_string(i), "expected a string");
    out.push_back((*value)[i].get<std::string>());
  }
}

void ObjectReader::number(const std::string& key, double& out, double min, double max) {
  const json* value = take(key);
  if (value == nullptr) return;
  if (!value->is_number()) fail(key, "expected a number");
  const auto n = value->get<double>();
  if (!(n >= min && n <= max)) {
    fail(key, "expected a number from " + std::to_string(min) + " to " + std::to_string(max));
  }
  out = n;
}

void ObjectReader::bounds(const std::string& key, std::vector<double>& out) {
  const json* value = take(key);
  if (value == nullptr) return;
  if (!value->is_array() || value->empty()) fail(key, "expected a non-empty array of numbers");
  std::vector<double> parsed;
  for (std::size_t i = 0; i < value->size(); ++i) {
    const json& v = (*value)[i];
    if (!v.is_number() || v.get<double>() <= 0 || (!parsed.empty() && v.get<double>() <= parsed.back())) {
      fail(key + "/" + std::to_string(i), "expected positive numbers in increasing order");
    }
    parsed.push_back(v.get<double>());
  }
  out = std::move(parsed);
}

std::optional<JsonValue> ObjectReader::value(const std::string& key) {
  const json* value = take(key);
  if (value == nullptr) return std::nullopt;
  return JsonValue(*value);
}

void ObjectReader::object(const std::string& key, const std::function<void(ObjectReader&)>& read) {
  const json* value = take(key);
  if (value == nullptr) return;
  ObjectReader sub(JsonValue(*value), path_of(key), file_);
  read(sub);
  sub.finish();
}

void ObjectReader::members(const std::string& key, const std::string& not_an_object,
                           const std::function<void(const std::string& name, JsonValue value)>& read) {
  const json* value = take(key);
  if (value == nullptr) return;
  if (!value->is_object()) fail(key, not_an_object);
  for (const auto& [name, member] : value->items()) read(name, JsonValue(member));
}

void ObjectReader::elements(const std::string& key, const std::string& not_an_array,
                            const std::function<void(ObjectReader&)>& read) {
  const json* value = take(key);
  if (value == nullptr) return;
  if (!value->is_array()) fail(key, not_an_array);
  for (std::size_t i = 0; i < value->size(); ++i) {
    ObjectReader element(JsonValue((*value)[i]), path_of(key) + "/" + std::to_string(i), file_);
    read(element);
    element.finish();
  }
}

ObjectReader ObjectReader::nested(JsonValue object, const std::string& sub) const {
  return ObjectReader(object, path_of(sub), file_);
}

void ObjectReader::check(const std::function<void()>& validate) const {
  try {
    validate();
  } catch (const InvalidField& e) {
    fail(e.field(), e.reason());
  }
}

void ObjectReader::finish() const {
  for (const auto& [key, value] : object_.value_->items()) {
    if (seen_.count(key) != 0) continue;
    std::string message = "unknown key";
    std::string best;
    std::size_t best_distance = 3;
    for (const std::string& known : seen_) {
      const std::size_t d = edit_distance(key, known);
      if (d < best_distance) {
        best_distance = d;
        best = known;
      }
    }
    if (!best.empty()) message += " (did you mean \"" + best + "\"?)";
    fail(key, message);
  }
}

const json* ObjectReader::take(const std::string& key) {
  seen_.insert(key);
  const auto it = object_.value_->find(key);
  return it == object_.value_->end() ? nullptr : &*it;
}

void read_document(std::string_view text, const std::string& file,
                   const std::function<void(ObjectReader& root)>& read) {
  DocumentCheck::run(text, file);
  json document;
  try {
    document = json::parse(text.begin(), text.end(), nullptr, true, /*ignore_comments=*/false);
  } catch (const json::exception& e) {
    throw ConfigError(file, "", std::string("not valid JSON: ") + e.what());
  }
  try {
    ObjectReader root(JsonValue(document), "", file);
    read(root);
    root.finish();
  } catch (const json::exception& e) {
    // Every read checks the type and range first, so this is not expected; if a check is missing,
    // the configuration is still refused with a message, never ends the process.
    throw ConfigError(file, "", std::string("unexpected value: ") + e.what());
  }
}

}  // namespace surge::detail
