#pragma once
// mime_type_for: the Content-Type a static file is served with, chosen by its extension.

#include <string_view>

namespace surge::detail {

/// The media type served when the extension is missing or not in the table.
inline constexpr std::string_view kDefaultMimeType = "application/octet-stream";

/// The Content-Type for `path` (a file name or a relative path) by the extension of its last
/// component, compared case-insensitively ("site.CSS" is CSS). Textual types (text/*, JavaScript,
/// JSON, XML, SVG, ...) carry "; charset=utf-8". Unknown or missing extension, or a name whose only
/// dot is its first character (".htaccess"): kDefaultMimeType. The returned view refers to a static
/// table. Never allocates; thread-safe.
std::string_view mime_type_for(std::string_view path);

}  // namespace surge::detail
