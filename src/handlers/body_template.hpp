#pragma once
// BodyTemplate: a response body with {param} placeholders, compiled once, rendered per request.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <surge/context.hpp>

namespace surge::detail {

/// `{name}` is replaced by path parameter `name` (percent-decoded); braces around anything that
/// is not a parameter name are kept as they are. In a text body `{{` and `}}` are a literal `{`
/// and `}`; a JSON body has no escapes (its braces are its structure). For a JSON body
/// the value is escaped for the inside of a JSON string (quotes, backslashes, control
/// characters; invalid UTF-8 becomes U+FFFD), so a client cannot break out of the string.
/// Rendering appends to the response body: no allocation once the response buffer is warm.
class BodyTemplate final {
 public:
  enum class Escape : std::uint8_t { kNone, kJson };

  /// params: the names the route binds. Throws std::invalid_argument for {name} not among them.
  BodyTemplate(std::string_view text, const std::vector<std::string>& params, Escape escape);

  void render(Context& ctx) const;
  /// True when there is nothing to substitute: text() is the whole body.
  bool is_static() const { return segments_.size() <= 1 && (segments_.empty() || segments_[0].param < 0); }
  std::string_view text() const { return text_; }

 private:
  struct Segment {
    std::uint32_t begin = 0;  // literal bytes text_[begin, begin + size)
    std::uint32_t size = 0;
    int param = -1;           // or the index into params_
  };

  std::string text_;  // the literals, with "{{" already collapsed
  std::vector<Segment> segments_;
  std::vector<std::string> params_;
  Escape escape_;
};

/// Appends value to out escaped for the inside of a JSON string.
void append_json_escaped(Response& out, std::string_view value);

}  // namespace surge::detail
