#include <surge/json.hpp>

#include "http/grammar.hpp"

namespace surge {
namespace {

bool is_json_media_type(std::string_view type) {
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  // Compared in place: no lower-cased copy per request.
  constexpr std::string_view kApplication = "application/";
  return detail::iequals(type, "application/json") ||
         (type.size() >= kApplication.size() + 5 && detail::iequals(type.substr(0, kApplication.size()), kApplication) &&
          detail::iequals(type.substr(type.size() - 5), "+json"));
}

}  // namespace

std::optional<nlohmann::json> read_json(Context& ctx) {
  auto type = ctx.request().header("Content-Type");
  if (!type || !is_json_media_type(*type)) {
    ctx.text(415, "expected a JSON body (Content-Type: application/json)\n");
    return std::nullopt;
  }
  std::string_view body = ctx.request().body();
  nlohmann::json value = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (value.is_discarded()) {
    ctx.text(400, "the body is not valid JSON\n");
    return std::nullopt;
  }
  return value;
}

void FieldErrors::answer(Context& ctx) const {
  nlohmann::json fields = nlohmann::json::array();
  for (const auto& [field, message] : errors_) fields.push_back({{"field", field}, {"message", message}});
  ctx.json(422, {{"error", "validation failed"}, {"fields", std::move(fields)}});
}

}  // namespace surge
