#include "config/field_rules.hpp"

namespace surge::detail {

std::string IntRange::message() const {
  return "expected an integer from " + std::to_string(min) + " to " + std::to_string(max);
}

void FieldCheck::nested(const std::string& prefix, const std::function<void()>& validate) const {
  try {
    validate();
  } catch (const InvalidField& e) {
    fail(prefix + "/" + e.field(), e.reason());
  }
}

void FieldCheck::fail(const std::string& field, const std::string& reason) const {
  throw InvalidField(field, reason, subject_);
}

bool is_printable_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 256;
  for (char c : name) ok = ok && c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
  return ok;
}

}  // namespace surge::detail
