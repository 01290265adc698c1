#pragma once
// JSON request bodies and validation answers, for handlers (nlohmann_json).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <surge/context.hpp>

namespace surge {

/// Parses the request body as JSON. When the body is not JSON, answers 415 (a Content-Type
/// other than application/json or application/*+json) or 400 (malformed, saying where) and
/// returns nullopt: the handler just returns.
std::optional<nlohmann::json> read_json(Context& ctx);

/// Collects what is wrong with a request's fields; answer() sends 422 Unprocessable Content with
///   {"error": "validation failed", "fields": [{"field": "email", "message": "is required"}, ...]}
class FieldErrors final {
 public:
  void add(std::string field, std::string message) { errors_.emplace_back(std::move(field), std::move(message)); }
  bool empty() const { return errors_.empty(); }
  std::size_t size() const { return errors_.size(); }
  void answer(Context& ctx) const;

 private:
  std::vector<std::pair<std::string, std::string>> errors_;
};

}  // namespace surge
