#pragma once
// The table of handler kinds surged knows.

#include "config/handler_kind.hpp"

namespace surge::detail {

/// text, json, echo, files: built once, on first use, and never changed.
const HandlerKinds& builtin_handler_kinds();

}  // namespace surge::detail
