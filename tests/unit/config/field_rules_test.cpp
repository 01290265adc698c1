#include "config/field_rules.hpp"

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

TEST(FieldRules, ARangeHoldsAnyIntegerTypeSafely) {
  constexpr IntRange kPercent{0, 100};
  EXPECT_TRUE(kPercent.contains(0));
  EXPECT_TRUE(kPercent.contains(100u));
  EXPECT_FALSE(kPercent.contains(-1));
  EXPECT_FALSE(kPercent.contains(std::uint64_t{1} << 63));  // not a negative in disguise
  EXPECT_EQ(kPercent.message(), "expected an integer from 0 to 100");
}

TEST(FieldRules, ACheckNamesTheFieldAndItsSubject) {
  const FieldCheck check("circuit breaker \"db\"");
  try {
    check.range("window_buckets", 0u, IntRange{1, 1000});
    FAIL();
  } catch (const InvalidField& e) {
    EXPECT_EQ(e.field(), "window_buckets");
    EXPECT_EQ(e.reason(), "expected an integer from 1 to 1000");
    EXPECT_STREQ(e.what(), "circuit breaker \"db\": window_buckets: expected an integer from 1 to 1000");
  }
  EXPECT_NO_THROW(check.require(true, "x", "never"));
}

TEST(FieldRules, ANestedStructsFieldsAreNamedBelowItsKey) {
  const FieldCheck check("load shedding \"global\"");
  try {
    check.nested("adaptive", [] { FieldCheck().fail("min_limit", "must not exceed max_limit"); });
    FAIL();
  } catch (const InvalidField& e) {
    EXPECT_EQ(e.field(), "adaptive/min_limit");
    EXPECT_STREQ(e.what(), "load shedding \"global\": adaptive/min_limit: must not exceed max_limit");
  }
}

TEST(FieldRules, PrintableNamesAreQuotableAsTheyAre) {
  EXPECT_TRUE(is_printable_name("per_ip"));
  EXPECT_TRUE(is_printable_name("/users/:id"));
  EXPECT_FALSE(is_printable_name(""));
  EXPECT_FALSE(is_printable_name("a\"b"));
  EXPECT_FALSE(is_printable_name("a\\b"));
  EXPECT_FALSE(is_printable_name(std::string(257, 'a')));
}

}  // namespace
}  // namespace surge::detail
