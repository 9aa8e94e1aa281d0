#include "strict_yaml/strict_yaml.h"

#include <gtest/gtest.h>

namespace qsim::strict_yaml {
namespace {

TEST(CheckStrictYaml, AcceptsPlainYaml) {
  EXPECT_TRUE(CheckStrictYaml("a: 1\nb: [x, y]\nc: {d: \"5\"}\n", "f.yaml").ok());
  EXPECT_TRUE(CheckStrictYaml("", "f.yaml").ok());
}

TEST(CheckStrictYaml, RefusesARepeatedKeyAtItsLine) {
  EXPECT_EQ(CheckStrictYaml("gate:\n  - {metric: a, metric: b}\n", "g.yaml").message(),
            "g.yaml:2:17: gate[0].metric: duplicate key");
  EXPECT_EQ(CheckStrictYaml("policy: {}\nx: 1\npolicy: {}\n", "v.yaml").message(),
            "v.yaml:3:1: policy: duplicate key");
}

TEST(CheckStrictYaml, RefusesAnchorsAndAliasesBeforeExpandingThem) {
  // 10^12 nodes if expanded: refused at the first anchor, in no time.
  std::string bomb = "x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 12; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    bomb += "x" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int k = 1; k < 10; ++k) bomb += ", " + prev;
    bomb += "]\n";
  }
  EXPECT_EQ(CheckStrictYaml(bomb, "b.yaml").message(), "b.yaml:1:5: x0: YAML anchors (&name) are not allowed in scenarios");
  EXPECT_EQ(CheckStrictYaml("a: *x\n", "b.yaml").message().substr(0, 11), "b.yaml:1:4:");
}

TEST(CheckStrictYaml, RefusesASecondDocumentAndBadSyntax) {
  EXPECT_NE(CheckStrictYaml("a: 1\n---\nb: 2\n", "d.yaml").message().find("expected one YAML document"),
            std::string::npos);
  EXPECT_EQ(CheckStrictYaml("a: [1, 2\n", "d.yaml").message().substr(0, 24), "d.yaml:2:1: invalid YAML");
}

TEST(StrictScalars, NumbersAreUnquotedDecimal) {
  for (const char* ok : {"0", "5", "-2", "0.25", "1e-3", "12E+4"}) EXPECT_TRUE(IsNumberText(ok)) << ok;
  for (const char* bad : {"0x10", "010", ".5", ".inf", "1_000", "+1", "1.", "", "-", "nan"}) {
    EXPECT_FALSE(IsNumberText(bad)) << bad;
  }
  EXPECT_TRUE(IsIntegerText("-12"));
  EXPECT_FALSE(IsIntegerText("1.0"));
  EXPECT_TRUE(IsPlain(YAML::Load("a: 5")["a"]));
  EXPECT_FALSE(IsPlain(YAML::Load("a: \"5\"")["a"]));
  EXPECT_FALSE(IsPlain(YAML::Load("a: !!int 5")["a"]));
}

TEST(ErrorAt, LocatesByLineAndColumnFromOne) {
  YAML::Mark mark;
  mark.line = 3;
  mark.column = 6;
  EXPECT_EQ(ErrorAt("f.yaml", mark, "a.b", "bad").message(), "f.yaml:4:7: a.b: bad");
  EXPECT_EQ(ErrorAt("f.yaml", YAML::Mark::null_mark(), "", "bad").message(), "f.yaml: bad");
}

}  // namespace
}  // namespace qsim::strict_yaml
