#pragma once
// Handler: the function that answers a request.

#include <functional>

#include <surge/context.hpp>

namespace surge {

/// Answers the request in ctx (ctx.text(), ctx.json(), ctx.response()...). Runs on the worker
/// thread that owns the connection: it must not block. An exception it throws becomes a 500.
using Handler = std::function<void(Context&)>;

}  // namespace surge
