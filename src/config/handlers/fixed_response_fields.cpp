#include "config/handlers/fixed_response_fields.hpp"

#include <algorithm>
#include <cctype>

#include "http/grammar.hpp"

namespace surge::detail {

int read_status(ObjectReader& handler) {
  int status = 200;
  handler.integer("status", status, IntRange{200, 599});
  return status;
}

void read_headers(ObjectReader& handler, const std::string& key, HeaderList& out) {
  handler.members(key, "expected an object of header names to string values",
                  [&](const std::string& name, JsonValue value) {
                    const std::string at = key + "/" + name;
                    if (!is_token(name)) handler.fail(at, "not a valid header name");
                    if (is_engine_field(name)) handler.fail(at, "this header is set by the server");
                    if (!value.is_string() || !is_field_value(value.string())) {
                      handler.fail(at, "expected a string without control characters");
                    }
                    out.emplace_back(name, value.string());
                  });
}

// The same reading of a placeholder as BodyTemplate's, which compiles the body when the route is
// built: what is accepted here always compiles (tests/fuzz/json_config_fuzz.cpp holds them to it).
void check_placeholders(const ObjectReader& handler, const std::string& key, std::string_view text,
                        const HandlerReadContext& route, bool brace_escapes) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '{') continue;
    if (brace_escapes && i + 1 < text.size() && text[i + 1] == '{') {
      ++i;
      continue;
    }
    const auto close = text.find('}', i);
    if (close == std::string_view::npos) continue;
    const std::string_view name = text.substr(i + 1, close - i - 1);
    const bool identifier = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
    if (!identifier) continue;  // not a placeholder: "{ }", JSON braces in a text body...
    if (std::find(route.params.begin(), route.params.end(), name) == route.params.end()) {
      handler.fail(key, "{" + std::string(name) + "} is not a parameter of " + std::string(route.pattern));
    }
    i = close;
  }
}

}  // namespace surge::detail
