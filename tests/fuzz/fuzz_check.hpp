#pragma once
// SURGE_FUZZ_CHECK: an invariant of a fuzz target. A violation prints what failed and where, then
// aborts, which libFuzzer reports as a crash and saves the input as an artifact.

#include <cstdio>
#include <cstdlib>
#include <string>

namespace surge::fuzz {

[[noreturn]] inline void fail(const char* what, const char* file, int line,
                              const std::string& detail = {}) {
  std::fprintf(stderr, "\n==surge-fuzz== invariant violated at %s:%d: %s\n", file, line, what);
  if (!detail.empty()) std::fprintf(stderr, "==surge-fuzz== %s\n", detail.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace surge::fuzz

#define SURGE_FUZZ_CHECK(condition) \
  ((condition) ? void(0) : ::surge::fuzz::fail(#condition, __FILE__, __LINE__))
#define SURGE_FUZZ_CHECK_MSG(condition, detail) \
  ((condition) ? void(0) : ::surge::fuzz::fail(#condition, __FILE__, __LINE__, (detail)))
