#include "middleware/id_generator.hpp"

#include <array>
#include <cstdint>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

bool lowercase_hex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(IdGenerator, MatchesTheReferenceAlgorithms) {
  // Expected values from an independent transcription of Vigna's splitmix64.c (seeding the four
  // words from 0) and xoshiro256starstar.c.
  IdGenerator g(0);
  EXPECT_EQ(g.next(), 0x99ec5f36cb75f2b4u);
  EXPECT_EQ(g.next(), 0xbf6e1f784956452au);
  EXPECT_EQ(g.next(), 0x1a5f849d4933e6e0u);
}

TEST(IdGenerator, SameSeedSameSequenceDifferentSeedDifferentSequence) {
  IdGenerator a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t va = a.next();
    EXPECT_EQ(va, b.next());
    EXPECT_NE(va, c.next());
  }
}

TEST(IdGenerator, WritesLowercaseHexOfTheRightLength) {
  IdGenerator g(7);
  std::array<char, 32> wide;
  std::array<char, 16> narrow;
  g.hex128(wide);
  g.hex64(narrow);
  EXPECT_TRUE(lowercase_hex(std::string(wide.data(), wide.size())));
  EXPECT_TRUE(lowercase_hex(std::string(narrow.data(), narrow.size())));
}

TEST(IdGenerator, WriteHexIsBigEndianAndZeroPadded) {
  std::array<char, 16> out;
  write_hex(0x0123456789abcdefULL, out.data());
  EXPECT_EQ(std::string(out.data(), 16), "0123456789abcdef");
  write_hex(0xa, out.data());
  EXPECT_EQ(std::string(out.data(), 16), "000000000000000a");
}

TEST(IdGenerator, RandomSeedsDiffer) {
  // Two 64-bit draws from std::random_device colliding would mean it is not random at all.
  EXPECT_NE(random_seed(), random_seed());
}

TEST(IdGenerator, HundredThousandIdsAreDistinct) {
  IdGenerator g(random_seed());
  std::set<std::string> seen;
  std::array<char, 32> id;
  for (int i = 0; i < 100'000; ++i) {
    g.hex128(id);
    seen.emplace(id.data(), id.size());
  }
  EXPECT_EQ(seen.size(), 100'000u);
}

}  // namespace
}  // namespace surge::detail
