#pragma once
// Reading the service manager's environment variables (systemd notify, socket activation).

#include <charconv>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace surge::detail {

/// The variable's value, or nullopt if it is not set.
inline std::optional<std::string> read_variable(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

/// A whole decimal number of type T, or nullopt for anything else (empty, signs, trailing text,
/// overflow).
template <class T>
std::optional<T> parse_decimal(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace surge::detail
