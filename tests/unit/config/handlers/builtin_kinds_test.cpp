#include "config/handlers/builtin_kinds.hpp"

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

TEST(BuiltinKinds, AreTextJsonEchoFilesAndProxyInThatOrder) {
  std::vector<std::string_view> types;
  for (const HandlerKind& kind : builtin_handler_kinds()) types.push_back(kind.type);
  EXPECT_EQ(types, (std::vector<std::string_view>{"text", "json", "echo", "files", "proxy"}));
  EXPECT_EQ(&builtin_handler_kinds(), &builtin_handler_kinds());  // built once
}

}  // namespace
}  // namespace surge::detail
