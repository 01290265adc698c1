#include "config/handlers/builtin_kinds.hpp"

namespace surge::detail {

// Each defined in src/config/handlers/<type>_kind.cpp. A new kind is a new file there, its line
// here, and its line in the table below (whose order is the order error messages list them in).
HandlerKind text_kind();
HandlerKind json_kind();
HandlerKind echo_kind();
HandlerKind files_kind();
HandlerKind proxy_kind();

const HandlerKinds& builtin_handler_kinds() {
  static const HandlerKinds kinds{
      text_kind(),
      json_kind(),
      echo_kind(),
      files_kind(),
      proxy_kind(),
  };
  return kinds;
}

}  // namespace surge::detail
