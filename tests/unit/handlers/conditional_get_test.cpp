// conditional_get: validators, preconditions and ranges as pure functions, without a file system.
#include "handlers/conditional_get.hpp"

#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace surge::detail {

// EXPECT_EQ on answers, with readable failures.
bool operator==(const RangeAnswer& a, const RangeAnswer& b) {
  return a.kind == b.kind && a.first == b.first && a.last == b.last;
}

std::ostream& operator<<(std::ostream& out, const RangeAnswer& a) {
  constexpr const char* kKinds[] = {"whole", "part", "unsatisfiable"};
  return out << kKinds[static_cast<int>(a.kind)] << ' ' << a.first << '-' << a.last;
}

std::ostream& operator<<(std::ostream& out, Precondition p) {
  constexpr const char* kNames[] = {"proceed", "not modified", "failed"};
  return out << kNames[static_cast<int>(p)];
}

namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

// A 12-byte file modified at 1700000000.123456789, as the static_files fixture's a.txt.
constexpr std::int64_t kMtime = 1700000000;
constexpr std::string_view kEtag = "\"c-17979cfe3d85cd15\"";  // 0xc - 1700000000123456789 in hex
constexpr std::string_view kLastModified = "Tue, 14 Nov 2023 22:13:20 GMT";
constexpr std::string_view kBefore = "Tue, 14 Nov 2023 22:13:19 GMT";
constexpr std::string_view kAfter = "Tue, 14 Nov 2023 22:13:21 GMT";

const Validators a_txt(12, kMtime, 123456789);

constexpr RangeAnswer kWhole{};
constexpr RangeAnswer kUnsatisfiable{RangeKind::kUnsatisfiable};
constexpr RangeAnswer part(std::uint64_t first, std::uint64_t last) {
  return {RangeKind::kPart, first, last};
}

// --- Validators ------------------------------------------------------------------------------

TEST(ConditionalGetValidators, EtagIsSizeAndNanosecondMtimeInHex) {
  EXPECT_EQ(a_txt.etag(), kEtag);
  EXPECT_EQ(a_txt.last_modified(), kLastModified);
  EXPECT_EQ(a_txt.size(), 12u);
  EXPECT_EQ(a_txt.mtime(), kMtime);
}

TEST(ConditionalGetValidators, OneNanosecondChangesTheTagButNotTheDate) {
  const Validators later(12, kMtime, 123456790);
  EXPECT_EQ(later.etag(), "\"c-17979cfe3d85cd16\"");
  EXPECT_EQ(later.last_modified(), kLastModified);
  EXPECT_EQ(Validators(13, kMtime, 123456789).etag(), "\"d-17979cfe3d85cd15\"");
}

TEST(ConditionalGetValidators, ExtremesFitTheBuffers) {
  const Validators epoch(0, 0, 0);
  EXPECT_EQ(epoch.etag(), "\"0-0\"");
  EXPECT_EQ(epoch.last_modified(), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(Validators(kMax, 18446744073, 709551615).etag(),
            "\"ffffffffffffffff-ffffffffffffffff\"");
}

// --- entity-tag lists -------------------------------------------------------------------------

TEST(ConditionalGetEtags, IfMatchUsesStrongComparison) {
  EXPECT_TRUE(if_match_line_matches(kEtag, kEtag));
  EXPECT_TRUE(if_match_line_matches("*", kEtag));
  EXPECT_TRUE(if_match_line_matches("\"x\", " + std::string(kEtag), kEtag));
  EXPECT_FALSE(if_match_line_matches("W/" + std::string(kEtag), kEtag));
  EXPECT_FALSE(if_match_line_matches("\"x\"", kEtag));
}

TEST(ConditionalGetEtags, IfNoneMatchUsesWeakComparison) {
  EXPECT_TRUE(if_none_match_line_matches(kEtag, kEtag));
  EXPECT_TRUE(if_none_match_line_matches("W/" + std::string(kEtag), kEtag));
  EXPECT_TRUE(if_none_match_line_matches("*", kEtag));
  EXPECT_TRUE(if_none_match_line_matches("\"x\", W/" + std::string(kEtag), kEtag));
  EXPECT_FALSE(if_none_match_line_matches("\"x\"", kEtag));
  // "w/" is not the weak prefix, and the tag's text is compared exactly.
  EXPECT_FALSE(if_none_match_line_matches("w/" + std::string(kEtag), kEtag));
  EXPECT_FALSE(if_none_match_line_matches("\"C-17979CFE3D85CD15\"", kEtag));
}

TEST(ConditionalGetEtags, ListsAreQuotedStringsNotCommaSeparatedText) {
  // A comma inside a tag belongs to the tag...
  EXPECT_TRUE(if_none_match_line_matches("\"a,b\"", "\"a,b\""));
  EXPECT_TRUE(if_match_line_matches("\"x\", \"a,b\" ,W/\"y\"", "\"a,b\""));
  // ...so splitting at commas would see "x and "y" here, where there is "x," and garbage.
  EXPECT_FALSE(if_none_match_line_matches("\"x,\"y\"", "\"y\""));
  EXPECT_FALSE(if_none_match_line_matches("\"a,b\"", "\"a\""));
}

TEST(ConditionalGetEtags, SpacesTabsAndEmptyMembersAreSkipped) {
  EXPECT_TRUE(if_none_match_line_matches(" \t,, \"x\" ,\t," + std::string(kEtag) + " ,", kEtag));
  EXPECT_TRUE(if_none_match_line_matches(" \"z\" ,*", kEtag));
  EXPECT_FALSE(if_none_match_line_matches("", kEtag));
  EXPECT_FALSE(if_none_match_line_matches(" , ,", kEtag));
}

TEST(ConditionalGetEtags, AMalformedMemberEndsTheScan) {
  for (std::string_view line :
       {"\"x\" junk \"c-17979cfe3d85cd15\"", "\"c-17979cfe3d85cd15", "c-17979cfe3d85cd15", "W/x",
        "W/", "junk, *", "W/ \"c-17979cfe3d85cd15\""}) {
    EXPECT_FALSE(if_none_match_line_matches(line, kEtag)) << line;
    EXPECT_FALSE(if_match_line_matches(line, kEtag)) << line;
  }
  // What matched before the malformed member counts.
  EXPECT_TRUE(if_none_match_line_matches(std::string(kEtag) + " junk", kEtag));
  EXPECT_TRUE(if_match_line_matches("\"x\", *, junk", kEtag));
}

// --- preconditions (RFC 9110 13.2.2) ----------------------------------------------------------

Precondition evaluate(const PreconditionFields& fields) {
  return evaluate_preconditions(fields, kMtime);
}

TEST(ConditionalGetPreconditions, NoFieldsProceed) {
  EXPECT_EQ(evaluate({}), Precondition::kProceed);
}

TEST(ConditionalGetPreconditions, IfMatchFailsWhenNothingMatches) {
  EXPECT_EQ(evaluate({.if_match = true}), Precondition::kProceed);
  EXPECT_EQ(evaluate({.if_match = false}), Precondition::kFailed);
}

TEST(ConditionalGetPreconditions, IfUnmodifiedSinceFailsWhenModifiedLater) {
  EXPECT_EQ(evaluate({.if_unmodified_since = kBefore}), Precondition::kFailed);
  EXPECT_EQ(evaluate({.if_unmodified_since = kLastModified}), Precondition::kProceed);
  EXPECT_EQ(evaluate({.if_unmodified_since = kAfter}), Precondition::kProceed);
  EXPECT_EQ(evaluate({.if_unmodified_since = "Tuesday, 14-Nov-23 22:13:19 GMT"}),
            Precondition::kFailed);
  EXPECT_EQ(evaluate({.if_unmodified_since = "Tue Nov 14 22:13:19 2023"}), Precondition::kFailed);
  for (std::string_view ignored : {"garbage", "", " Tue, 14 Nov 2023 22:13:19 GMT"}) {
    EXPECT_EQ(evaluate({.if_unmodified_since = ignored}), Precondition::kProceed) << ignored;
  }
}

TEST(ConditionalGetPreconditions, IfMatchMakesIfUnmodifiedSinceIgnored) {
  EXPECT_EQ(evaluate({.if_match = true, .if_unmodified_since = kBefore}), Precondition::kProceed);
  EXPECT_EQ(evaluate({.if_match = false, .if_unmodified_since = kAfter}), Precondition::kFailed);
}

TEST(ConditionalGetPreconditions, IfNoneMatchGivesNotModifiedWhenAnyMatches) {
  EXPECT_EQ(evaluate({.if_none_match = true}), Precondition::kNotModified);
  EXPECT_EQ(evaluate({.if_none_match = false}), Precondition::kProceed);
}

TEST(ConditionalGetPreconditions, IfModifiedSinceGivesNotModifiedUnlessModifiedLater) {
  EXPECT_EQ(evaluate({.if_modified_since = kLastModified}), Precondition::kNotModified);
  EXPECT_EQ(evaluate({.if_modified_since = kAfter}), Precondition::kNotModified);
  EXPECT_EQ(evaluate({.if_modified_since = kBefore}), Precondition::kProceed);
  EXPECT_EQ(evaluate({.if_modified_since = "Tuesday, 14-Nov-23 22:13:20 GMT"}),
            Precondition::kNotModified);
  EXPECT_EQ(evaluate({.if_modified_since = "Tue Nov 14 22:13:20 2023"}),
            Precondition::kNotModified);
  EXPECT_EQ(evaluate({.if_modified_since = "yesterday"}), Precondition::kProceed);
}

TEST(ConditionalGetPreconditions, IfNoneMatchMakesIfModifiedSinceIgnored) {
  EXPECT_EQ(evaluate({.if_none_match = false, .if_modified_since = kAfter}),
            Precondition::kProceed);
  EXPECT_EQ(evaluate({.if_none_match = true, .if_modified_since = kBefore}),
            Precondition::kNotModified);
}

TEST(ConditionalGetPreconditions, FailureComesBeforeNotModified) {
  EXPECT_EQ(evaluate({.if_match = false, .if_none_match = true}), Precondition::kFailed);
  EXPECT_EQ(evaluate({.if_unmodified_since = kBefore, .if_modified_since = kAfter}),
            Precondition::kFailed);
  EXPECT_EQ(evaluate({.if_match = true, .if_none_match = true}), Precondition::kNotModified);
  EXPECT_EQ(evaluate({.if_unmodified_since = kAfter, .if_modified_since = kAfter}),
            Precondition::kNotModified);
}

// --- Range (RFC 9110 14) ----------------------------------------------------------------------

TEST(ConditionalGetRange, EveryFormOfASingleRange) {
  EXPECT_EQ(evaluate_range("bytes=0-3", 12), part(0, 3));  // a-b
  EXPECT_EQ(evaluate_range("bytes=11-11", 12), part(11, 11));
  EXPECT_EQ(evaluate_range("bytes=0-0", 12), part(0, 0));
  EXPECT_EQ(evaluate_range("bytes=4-", 12), part(4, 11));  // a-
  EXPECT_EQ(evaluate_range("bytes=0-", 12), part(0, 11));
  EXPECT_EQ(evaluate_range("bytes=-3", 12), part(9, 11));  // -n
  EXPECT_EQ(evaluate_range("bytes=-12", 12), part(0, 11));
  EXPECT_EQ(evaluate_range("bytes=0-", 1), part(0, 0));
  EXPECT_EQ(evaluate_range("bytes=-1", 1), part(0, 0));
}

TEST(ConditionalGetRange, LastAndSuffixAreClippedToTheFile) {
  EXPECT_EQ(evaluate_range("bytes=6-1000", 12), part(6, 11));
  EXPECT_EQ(evaluate_range("bytes=0-12", 12), part(0, 11));
  EXPECT_EQ(evaluate_range("bytes=-100", 12), part(0, 11));
}

TEST(ConditionalGetRange, HugeNumbersSaturate) {
  EXPECT_EQ(evaluate_range("bytes=0-99999999999999999999999", 12), part(0, 11));
  EXPECT_EQ(evaluate_range("bytes=-99999999999999999999999", 12), part(0, 11));
  EXPECT_EQ(evaluate_range("bytes=99999999999999999999-", 12), kUnsatisfiable);
  EXPECT_EQ(evaluate_range("bytes=18446744073709551615-", 12), kUnsatisfiable);
  // Both saturate to the same value: first <= last still holds.
  EXPECT_EQ(evaluate_range("bytes=18446744073709551616-99999999999999999999", 12), kUnsatisfiable);
  // A file of the largest size: nothing wraps.
  EXPECT_EQ(evaluate_range("bytes=-1", kMax), part(kMax - 1, kMax - 1));
  EXPECT_EQ(evaluate_range("bytes=0-", kMax), part(0, kMax - 1));
  EXPECT_EQ(evaluate_range("bytes=-99999999999999999999999", kMax), part(0, kMax - 1));
}

TEST(ConditionalGetRange, UnsatisfiableRanges) {
  for (std::string_view value : {"bytes=12-", "bytes=12-20", "bytes=-0", "bytes=-00"}) {
    EXPECT_EQ(evaluate_range(value, 12), kUnsatisfiable) << value;
  }
}

TEST(ConditionalGetRange, EmptyFile) {
  // No first-pos can overlap zero bytes (15.5.17)...
  EXPECT_EQ(evaluate_range("bytes=0-", 0), kUnsatisfiable);
  EXPECT_EQ(evaluate_range("bytes=0-0", 0), kUnsatisfiable);
  // ...a non-zero suffix is satisfiable (14.1.2) but cannot be spelled: the whole, empty file...
  EXPECT_EQ(evaluate_range("bytes=-5", 0), kWhole);
  // ...and a zero suffix is never satisfiable.
  EXPECT_EQ(evaluate_range("bytes=-0", 0), kUnsatisfiable);
}

TEST(ConditionalGetRange, UnitIsCaseInsensitiveAndEmptyMembersAreSkipped) {
  EXPECT_EQ(evaluate_range("Bytes=0-0", 12), part(0, 0));
  EXPECT_EQ(evaluate_range("BYTES=0-0", 12), part(0, 0));
  EXPECT_EQ(evaluate_range("bytes=, 2-3 ,", 12), part(2, 3));
  EXPECT_EQ(evaluate_range("bytes=\t2-3\t", 12), part(2, 3));
  EXPECT_EQ(evaluate_range("bytes=,,,-2", 12), part(10, 11));
}

TEST(ConditionalGetRange, SeveralRangesGiveTheWholeFile) {
  for (std::string_view value :
       {"bytes=0-1,4-5", "bytes=0-1, 0-1", "bytes=0-0,-1", "bytes=12-,0-1", "bytes=0-1,junk"}) {
    EXPECT_EQ(evaluate_range(value, 12), kWhole) << value;
  }
}

TEST(ConditionalGetRange, BadUnitsAreIgnored) {
  for (std::string_view value : {"", "bytes", "bytes=", "bytes=,", "bytes 0-1", "items=0-1",
                                 "byte=0-1", " bytes=0-1", "bytes =0-1"}) {
    EXPECT_EQ(evaluate_range(value, 12), kWhole) << value;
  }
}

TEST(ConditionalGetRange, SyntaxErrorsAreIgnored) {
  for (std::string_view value :
       {"bytes=3-1", "bytes=a-b", "bytes=0-1-2", "bytes=--1", "bytes=1", "bytes=- 1", "bytes=+1-2",
        "bytes=0x1-2", "bytes=1 -2", "bytes=1- 2", "bytes=-", "bytes=-1a"}) {
    EXPECT_EQ(evaluate_range(value, 12), kWhole) << value;
  }
}

// --- If-Range (RFC 9110 13.1.5) ---------------------------------------------------------------

TEST(ConditionalGetIfRange, WithoutRangeTheWholeFile) {
  EXPECT_EQ(select_range(std::nullopt, std::nullopt, a_txt), kWhole);
  EXPECT_EQ(select_range(std::nullopt, kEtag, a_txt), kWhole);
  EXPECT_EQ(select_range("bytes=0-3", std::nullopt, a_txt), part(0, 3));
}

TEST(ConditionalGetIfRange, TheRangeAppliesOnlyWhenIfRangeHolds) {
  EXPECT_EQ(select_range("bytes=0-3", kEtag, a_txt), part(0, 3));
  EXPECT_EQ(select_range("bytes=0-3", kLastModified, a_txt), part(0, 3));
  EXPECT_EQ(select_range("bytes=0-3", "Tuesday, 14-Nov-23 22:13:20 GMT", a_txt), part(0, 3));
  for (std::string_view value :
       {std::string_view("\"other\""), kAfter, kBefore, std::string_view("garbage"),
        std::string_view(""), std::string_view("W/\"c-17979cfe3d85cd15\""),
        std::string_view("\"c-17979cfe3d85cd15\" ")}) {
    EXPECT_EQ(select_range("bytes=0-3", value, a_txt), kWhole) << value;
  }
}

TEST(ConditionalGetIfRange, AFailedIfRangeTurnsAnUnsatisfiableRangeIntoTheWholeFile) {
  EXPECT_EQ(select_range("bytes=50-", std::nullopt, a_txt), kUnsatisfiable);
  EXPECT_EQ(select_range("bytes=50-", "\"other\"", a_txt), kWhole);
}

// --- Content-Range (RFC 9110 14.4) ------------------------------------------------------------

TEST(ConditionalGetContentRange, PartAndUnsatisfiable) {
  EXPECT_EQ(ContentRange(part(0, 3), 12).value(), "bytes 0-3/12");
  EXPECT_EQ(ContentRange(part(11, 11), 12).value(), "bytes 11-11/12");
  EXPECT_EQ(ContentRange(kUnsatisfiable, 12).value(), "bytes */12");
  EXPECT_EQ(ContentRange(kUnsatisfiable, 0).value(), "bytes */0");
  EXPECT_EQ(ContentRange(part(kMax - 1, kMax - 1), kMax).value(),
            "bytes 18446744073709551614-18446744073709551614/18446744073709551615");
}

}  // namespace
}  // namespace surge::detail
