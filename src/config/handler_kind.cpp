#include "config/handler_kind.hpp"

#include "config/object_reader.hpp"

namespace surge::detail {
namespace {

// "text, json, echo, files", or with `last` before the final one: "text, json, echo or files".
std::string type_names(const HandlerKinds& kinds, const std::string& last = ", ") {
  std::string out;
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    if (i > 0) out += i + 1 == kinds.size() ? last : ", ";
    out += kinds[i].type;
  }
  return out;
}

}  // namespace

HandlerConfig read_handler(ObjectReader& handler, const HandlerReadContext& route, const HandlerKinds& kinds) {
  std::string type;
  handler.string("type", type);
  for (const HandlerKind& kind : kinds) {
    if (kind.type == type) return kind.read(handler, route);
  }
  handler.fail("type", type.empty() ? "required: " + type_names(kinds, " or ")
                                    : "\"" + type + "\" is not one of " + type_names(kinds));
}

}  // namespace surge::detail
