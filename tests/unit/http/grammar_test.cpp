#include "http/grammar.hpp"

#include <gtest/gtest.h>

#include <string>

namespace surge::detail {
namespace {

std::string decoded(std::string_view raw) {
  std::string out(raw.size(), '\0');
  const long n = percent_decode(raw, out.data());
  return n < 0 ? "<malformed>" : out.substr(0, static_cast<std::size_t>(n));
}

std::string unreserved(std::string_view raw) {
  std::string out(raw.size(), '\0');
  out.resize(decode_unreserved(raw, out.data()));
  return out;
}

TEST(Grammar, ReadsHexDigitsOfEitherCase) {
  EXPECT_EQ(hex_value('0'), 0);
  EXPECT_EQ(hex_value('9'), 9);
  EXPECT_EQ(hex_value('a'), 10);
  EXPECT_EQ(hex_value('F'), 15);
  EXPECT_EQ(hex_value('g'), -1);
  EXPECT_EQ(hex_value('%'), -1);
  EXPECT_EQ(escaped_at("a%2fb", 1), '/');
  EXPECT_EQ(escaped_at("%2", 0), -1);
  EXPECT_EQ(escaped_at("%g0", 0), -1);
}

TEST(Percent, DecodesEveryEscapeAndRefusesMalformedOnes) {
  EXPECT_EQ(decoded("a%20b%2F%2fc"), "a b//c");
  EXPECT_EQ(decoded("%C3%BC"), "\xC3\xBC");
  EXPECT_EQ(decoded("plain"), "plain");
  EXPECT_EQ(decoded("%"), "<malformed>");
  EXPECT_EQ(decoded("%4"), "<malformed>");
  EXPECT_EQ(decoded("%zz"), "<malformed>");
  EXPECT_EQ(decoded("abc%"), "<malformed>");
}

TEST(Percent, DecodesOnlyUnreservedCharactersForRouting) {
  EXPECT_TRUE(has_encoded_unreserved("/plaintex%74"));
  EXPECT_TRUE(has_encoded_unreserved("/%7e"));
  EXPECT_FALSE(has_encoded_unreserved("/a%2Fb%3F%20%25"));
  EXPECT_FALSE(has_encoded_unreserved("/plain"));
  EXPECT_FALSE(has_encoded_unreserved("/%"));
  EXPECT_FALSE(has_encoded_unreserved("/%7"));
  EXPECT_EQ(unreserved("/plaintex%74"), "/plaintext");
  EXPECT_EQ(unreserved("/%41%5a%61%7A%30%39%2D%2E%5F%7E"), "/AZaz09-._~");
  // Reserved and other characters stay escaped: %2F above all, and %25 (an escaped '%').
  EXPECT_EQ(unreserved("/a%2Fb%2f%3F%23%25%20%C3%BC"), "/a%2Fb%2f%3F%23%25%20%C3%BC");
  EXPECT_EQ(unreserved("/%2574"), "/%2574");  // never decoded twice
}

}  // namespace
}  // namespace surge::detail
