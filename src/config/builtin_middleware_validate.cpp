// validate() of the built-in middleware configs (<surge/builtin_middleware.hpp>). Response headers
// with invalid names or values are refused by Response::add_header, so a bad one would silently
// never be sent: these rules refuse it where the configuration is loaded.

#include <surge/builtin_middleware.hpp>

#include "config/field_rules.hpp"
#include "http/grammar.hpp"

namespace surge {
namespace {

using detail::FieldCheck;

void header_name(const FieldCheck& check, const std::string& field, const std::string& name, bool may_be_empty) {
  check.require((name.empty() && may_be_empty) || detail::is_token(name), field, "expected a header field name");
}

// An entry of a comma-separated header value: one item, never a list of its own.
void list_items(const FieldCheck& check, const std::string& field, const std::vector<std::string>& items) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string& item = items[i];
    check.require(!item.empty() && detail::is_field_value(item) && item.find(',') == std::string::npos,
                  field + "/" + std::to_string(i),
                  "expected a single non-empty value without commas or control characters");
  }
}

}  // namespace

void validate(const RecoverConfig& c) {
  header_name(FieldCheck("recover"), "request_id_header", c.request_id_header, true);
}

void validate(const RequestIdConfig& c) {
  const FieldCheck check("request_id");
  header_name(check, "header", c.header, false);
  check.fields(c);
  header_name(check, "trace_response_header", c.trace_response_header, true);
}

void validate(const CorsConfig& c) {
  const FieldCheck check("cors");
  list_items(check, "allowed_origins", c.allowed_origins);
  list_items(check, "allowed_methods", c.allowed_methods);
  list_items(check, "allowed_headers", c.allowed_headers);
  list_items(check, "exposed_headers", c.exposed_headers);
  check.fields(c);
}

}  // namespace surge
