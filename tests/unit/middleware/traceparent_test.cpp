#include "middleware/traceparent.hpp"

#include <array>
#include <string>

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

constexpr const char* kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr const char* kParent = "00f067aa0ba902b7";

std::string tp(std::string version = "00", std::string trace = kTrace, std::string parent = kParent,
               std::string flags = "01") {
  return version + "-" + trace + "-" + parent + "-" + flags;
}

TEST(Traceparent, ParsesTheSpecExample) {
  const auto parsed = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->trace_id, kTrace);
  EXPECT_EQ(parsed->parent_id, kParent);
  EXPECT_EQ(parsed->flags, 0x01);
}

TEST(Traceparent, KeepsEveryFlagBit) {
  EXPECT_EQ(parse_traceparent(tp("00", kTrace, kParent, "00"))->flags, 0x00);
  EXPECT_EQ(parse_traceparent(tp("00", kTrace, kParent, "03"))->flags, 0x03);
  EXPECT_EQ(parse_traceparent(tp("00", kTrace, kParent, "ff"))->flags, 0xff);
}

TEST(Traceparent, RejectsAllZeroIds) {
  EXPECT_FALSE(parse_traceparent(tp("00", std::string(32, '0'))));
  EXPECT_FALSE(parse_traceparent(tp("00", kTrace, std::string(16, '0'))));
}

TEST(Traceparent, RejectsUppercaseOrNonHexDigits) {
  EXPECT_FALSE(parse_traceparent(tp("00", "4BF92F3577B34DA6A3CE929D0E0E4736")));
  EXPECT_FALSE(parse_traceparent(tp("00", kTrace, "00F067AA0BA902B7")));
  EXPECT_FALSE(parse_traceparent(tp("00", kTrace, kParent, "0A")));
  EXPECT_FALSE(parse_traceparent(tp("0A")));
  EXPECT_FALSE(parse_traceparent(tp("00", "4bf92f3577b34da6a3ce929d0e0e473g")));
  EXPECT_FALSE(parse_traceparent(tp("00", kTrace, kParent, "0x")));
}

TEST(Traceparent, RejectsVersionFf) {
  EXPECT_FALSE(parse_traceparent(tp("ff")));
}

TEST(Traceparent, RejectsWrongLengthsAndSeparators) {
  EXPECT_FALSE(parse_traceparent(""));
  EXPECT_FALSE(parse_traceparent(tp().substr(0, 54)));
  EXPECT_FALSE(parse_traceparent(tp() + "-"));       // version 00 is exactly 55 characters
  EXPECT_FALSE(parse_traceparent(tp() + "-extra"));  // even with a dash
  EXPECT_FALSE(
      parse_traceparent(tp("00", std::string(kTrace) + "0", std::string(kParent).substr(1))));
  std::string bad = tp();
  bad[2] = '_';
  EXPECT_FALSE(parse_traceparent(bad));
  bad = tp();
  bad[35] = '_';
  EXPECT_FALSE(parse_traceparent(bad));
  bad = tp();
  bad[52] = '_';
  EXPECT_FALSE(parse_traceparent(bad));
}

TEST(Traceparent, HigherVersionsAreReadByTheirFirstFourFields) {
  const std::string exact_text = tp("01"), longer_text = tp("cc") + "-what-the-future-holds";
  const auto exact = parse_traceparent(exact_text);
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->trace_id, kTrace);
  const auto longer = parse_traceparent(longer_text);
  ASSERT_TRUE(longer);
  EXPECT_EQ(longer->parent_id, kParent);
  EXPECT_EQ(longer->flags, 0x01);
  // What follows the flags must begin with a dash.
  EXPECT_FALSE(parse_traceparent(tp("cc") + "x"));
  // The same validity rules still apply to the fields.
  EXPECT_FALSE(parse_traceparent(tp("cc", std::string(32, '0')) + "-x"));
}

TEST(Traceparent, FormatsVersion00) {
  std::array<char, kTraceparentSize> out;
  format_traceparent(out, kTrace, kParent, 0x01);
  EXPECT_EQ(std::string(out.data(), out.size()), tp());
  format_traceparent(out, kTrace, kParent, 0xa3);
  EXPECT_EQ(std::string(out.data(), out.size()), tp("00", kTrace, kParent, "a3"));
}

TEST(Traceparent, FormattedValuesParseBack) {
  std::array<char, kTraceparentSize> out;
  format_traceparent(out, kTrace, kParent, 0x00);
  const auto parsed = parse_traceparent({out.data(), out.size()});
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->trace_id, kTrace);
  EXPECT_EQ(parsed->flags, 0x00);
}

}  // namespace
}  // namespace surge::detail
