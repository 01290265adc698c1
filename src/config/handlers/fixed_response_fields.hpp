#pragma once
// What the "text" and "json" handler kinds read alike: the status, extra headers, and the
// {name} placeholders of the body, each of which must be a parameter of the route.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/handler_kind.hpp"
#include "config/object_reader.hpp"

namespace surge::detail {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// "status": 200..599, default 200.
int read_status(ObjectReader& handler);

/// An object of header names to values; names the engine writes itself (Content-Length, Date,
/// Server...) are refused.
void read_headers(ObjectReader& handler, const std::string& key, HeaderList& out);

/// Every `{name}` in text must be a parameter of the route (with brace_escapes, "{{" is a literal
/// '{'); braces around anything but an identifier are no placeholder. Fails at key.
void check_placeholders(const ObjectReader& handler, const std::string& key, std::string_view text,
                        const HandlerReadContext& route, bool brace_escapes);

}  // namespace surge::detail
