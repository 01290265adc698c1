#pragma once
// Counts every global operator new of the test binary (allocation_counter.cpp replaces them), so a
// test can show that code under test does not allocate.

#include <cstdint>

namespace surge::test {

/// Allocations since the program started; read it before and after the code under test.
std::uint64_t allocation_count();

}  // namespace surge::test
