// `surged --check-config` on configurations that once ended the process (issue 12): each must be
// refused with exit code 1 and one line naming the file, the JSON path and the problem.

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "support/daemon_process.hpp"

namespace surge::test {
namespace {

// Runs `surged --check-config` on text and returns what it printed, after checking that it
// refused the file in one line.
std::string refused(const std::string& text) {
  TempDir dir;
  const std::string file = dir.write("surge.json", text);
  RunResult r = run_surged({"--check-config", "--config", file});
  EXPECT_EQ(r.code, 1) << r.output.substr(0, 500);
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output.substr(0, 500);
  EXPECT_EQ(r.output.rfind("surged: " + file + ": ", 0), 0u) << r.output.substr(0, 500);
  return r.output;
}

TEST(CheckConfig, ANumberBeyondADoubleIsOneLineNotATerminate) {
  EXPECT_NE(refused(R"({"threads": 1e999})").find("/threads: number out of range"),
            std::string::npos);
}

TEST(CheckConfig, A100000DeepHandlerBodyIsOneLineNotAStackOverflow) {
  const std::string body = std::string(100'000, '[') + std::string(100'000, ']');
  const std::string output =
      refused(R"({"routes": [{"path": "/d", "handler": {"type": "json", "body": )" + body + "}}]}");
  EXPECT_NE(output.find("/routes/0/handler/body/"), std::string::npos);
  EXPECT_NE(output.find("nested deeper than 64 levels"), std::string::npos);
}

TEST(CheckConfig, A100000DeepRouteMethodIsOneLineNotAStackOverflow) {
  std::string method;
  for (int i = 0; i < 100'000; ++i)
    method += R"({"m":)";
  method += "1" + std::string(100'000, '}');
  const std::string output = refused(R"({"routes": [{"path": "/d", "method": )" + method +
                                     R"(, "handler": {"type": "echo"}}]})");
  EXPECT_NE(output.find("/routes/0/method/m/m/"), std::string::npos);
  EXPECT_NE(output.find("nested deeper than 64 levels"), std::string::npos);
}

}  // namespace
}  // namespace surge::test
