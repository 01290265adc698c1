// fuzz_body_template: body templates (src/handlers/body_template.cpp) compiled from fuzzed text and
// rendered with fuzzed parameter values.
//
// Input (FuzzedDataProvider): the last byte picks the mode; from the front, strings as
// ConsumeRandomLengthString reads them (a lone backslash ends one, "\\" is a backslash): the
// template, then the values of the parameters id, name, path and x_1.
//   mode 0  text template as given: it compiles or throws std::invalid_argument (a {name} that is
//           not a parameter); a template with nothing to substitute renders its text().
//   mode 1  JSON template: the text, if it is JSON, dumped as the configuration loader does
//           (config/handlers/json_kind.cpp), rendered. The result must be JSON, and when every value is valid
//           UTF-8 it must be the template's JSON with each {name} in a string (key or value)
//           replaced by the value: no value can break out of its string.
//           The raw text also goes through a JSON-escaping template (no crash is the only rule).
//   mode 2  text template built from pieces: the template text split at NUL bytes gives literal
//           pieces, each written with its braces doubled and joined by {id}, {name}, {path}, {x_1}
//           in turn. It must render the pieces and the values verbatim.

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <fuzzer/FuzzedDataProvider.h>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <surge/peer.hpp>

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_check.hpp"
#include "handlers/body_template.hpp"
#include "http/exchange.hpp"

namespace {

using nlohmann::json;
using surge::detail::BodyTemplate;

const std::vector<std::string> kParams = {"id", "name", "path", "x_1"};

// An exchange whose route bound the parameters, as a handler sees it.
class BoundRequest {
 public:
  explicit BoundRequest(const std::array<std::string, 4>& values) {
    exchange_.begin(&peer_, nullptr, 0);
    for (std::size_t i = 0; i < kParams.size(); ++i)
      exchange_.add_param(kParams[i], values[i]);
  }
  std::string render(const BodyTemplate& tpl) {
    surge::Response& response = exchange_.context().response();
    response.clear();
    tpl.render(exchange_.context());
    return std::string(response.body());
  }

 private:
  surge::detail::ParserLimits limits_;
  surge::PeerAddress peer_{};
  surge::detail::Exchange exchange_{limits_, nullptr};
};

std::optional<BodyTemplate> compile(std::string_view text, BodyTemplate::Escape escape) {
  try {
    return BodyTemplate(text, kParams, escape);
  } catch (const std::invalid_argument&) {
    return std::nullopt;  // a {name} that is not a parameter: the configuration refuses it
  }
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    std::uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (std::size_t k = 1; k < n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = cp << 6 | (b & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

bool is_identifier(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// The README's rule for a JSON body, on one decoded string: {name} becomes the value of name.
std::string substitute(std::string_view s, const std::array<std::string, 4>& values) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t open = s.find('{', i);
    if (open == std::string_view::npos) {
      out.append(s.substr(i));
      break;
    }
    out.append(s.substr(i, open - i));
    const std::size_t close = s.find('}', open);
    const std::string_view name =
        close == std::string_view::npos ? "" : s.substr(open + 1, close - open - 1);
    if (!is_identifier(name)) {
      out += '{';
      i = open + 1;
      continue;
    }
    const auto it = std::find(kParams.begin(), kParams.end(), name);
    SURGE_FUZZ_CHECK(it != kParams.end());  // the template compiled, so every name is a parameter
    out += values[static_cast<std::size_t>(it - kParams.begin())];
    i = close + 1;
  }
  return out;
}

json substituted(const json& value, const std::array<std::string, 4>& values) {
  if (value.is_string()) return substitute(value.get_ref<const std::string&>(), values);
  if (value.is_array()) {
    json out = json::array();
    for (const json& element : value)
      out.push_back(substituted(element, values));
    return out;
  }
  if (value.is_object()) {
    json out = json::object();
    for (const auto& [key, element] : value.items())
      out[substitute(key, values)] = substituted(element, values);
    return out;
  }
  return value;
}

void text_template(const std::string& text, const std::array<std::string, 4>& values) {
  std::optional<BodyTemplate> tpl = compile(text, BodyTemplate::Escape::kNone);
  if (!tpl) return;
  BoundRequest request(values);
  const std::string body = request.render(*tpl);
  if (tpl->is_static()) SURGE_FUZZ_CHECK(body == tpl->text());
  if (text.find_first_of("{}") == std::string::npos) SURGE_FUZZ_CHECK(body == text);
}

void json_template(const std::string& text, const std::array<std::string, 4>& values) {
  // Whatever the text, a JSON-escaping template compiles or refuses it, and renders.
  if (std::optional<BodyTemplate> raw = compile(text, BodyTemplate::Escape::kJson)) {
    BoundRequest(values).render(*raw);
  }
  const json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return;
  const std::string dumped = document.dump();  // what the json kind hands to the template
  std::optional<BodyTemplate> tpl = compile(dumped, BodyTemplate::Escape::kJson);
  if (!tpl) return;
  const std::string body = BoundRequest(values).render(*tpl);
  const json rendered = json::parse(body, nullptr, /*allow_exceptions=*/false);
  SURGE_FUZZ_CHECK_MSG(!rendered.is_discarded(),
                       "a JSON template rendered to invalid JSON: " + body.substr(0, 300));
  bool all_valid = true;
  for (const std::string& v : values)
    all_valid = all_valid && valid_utf8(v);
  if (all_valid) {
    SURGE_FUZZ_CHECK_MSG(rendered == substituted(document, values),
                         "rendered " + body.substr(0, 300) + " from " + dumped.substr(0, 300));
  }
}

void pieces_template(const std::string& text, const std::array<std::string, 4>& values) {
  std::string tpl_text;
  std::string expected;
  std::size_t placeholders = 0;
  std::size_t start = 0;
  for (;;) {
    const std::size_t nul = text.find('\0', start);
    const std::string piece =
        text.substr(start, nul == std::string::npos ? std::string::npos : nul - start);
    for (char c : piece) {
      tpl_text += c;
      if (c == '{' || c == '}') tpl_text += c;
    }
    expected += piece;
    if (nul == std::string::npos) break;
    const std::size_t p = placeholders++ % kParams.size();
    tpl_text += "{" + kParams[p] + "}";
    expected += values[p];
    start = nul + 1;
  }
  std::optional<BodyTemplate> tpl = compile(tpl_text, BodyTemplate::Escape::kNone);
  SURGE_FUZZ_CHECK_MSG(tpl.has_value(), "refused " + tpl_text.substr(0, 300));
  SURGE_FUZZ_CHECK(tpl->is_static() == (placeholders == 0));
  if (placeholders == 0) SURGE_FUZZ_CHECK(tpl->text() == expected);
  const std::string body = BoundRequest(values).render(*tpl);
  SURGE_FUZZ_CHECK_MSG(body == expected,
                       "template " + tpl_text.substr(0, 300) + " rendered " + body.substr(0, 300));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  const std::uint8_t mode = provider.ConsumeIntegral<std::uint8_t>() % 3;
  const std::string text = provider.ConsumeRandomLengthString(4096);
  std::array<std::string, 4> values;
  for (std::string& v : values)
    v = provider.ConsumeRandomLengthString(1024);
  switch (mode) {
    case 0:
      text_template(text, values);
      break;
    case 1:
      json_template(text, values);
      break;
    default:
      pieces_template(text, values);
      break;
  }
  return 0;
}
