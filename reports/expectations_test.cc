#include "reports/expectations.h"

#include <gtest/gtest.h>

#include "reports/yaml_util.h"

namespace qsim::reports {
namespace {

StatusOr<std::vector<Expectation>> Expect(const std::string& yaml) {
  StatusOr<YAML::Node> root = LoadYamlText(yaml, "s.yaml");
  if (!root.ok()) return root.status();
  return ParseExpectations(*root, "s.yaml");
}

StatusOr<std::vector<Gate>> Gates(const std::string& yaml) {
  StatusOr<YAML::Node> root = LoadYamlText(yaml, "g.yaml");
  if (!root.ok()) return root.status();
  return ParseGates(*root, "g.yaml");
}

TEST(Expectations, ParsesBoundsAndDefaults) {
  auto e = Expect("name: x\nexpect:\n  - {metric: lost, account: \"*\", equals: 0}\n"
                  "  - {metric: wait_p99_s, account: build, max: 300}\n  - {metric: preemptions, min: 1, max: 9}\n");
  ASSERT_TRUE(e.ok()) << e.status().message();
  ASSERT_EQ(e->size(), 3u);
  EXPECT_EQ((*e)[0].Describe(), "== 0");
  EXPECT_TRUE((*e)[0].Holds(0));
  EXPECT_FALSE((*e)[0].Holds(1));
  EXPECT_EQ((*e)[1].account, "build");
  EXPECT_EQ((*e)[1].Describe(), "<= 300");
  EXPECT_FALSE((*e)[1].Holds(300.5));
  EXPECT_EQ((*e)[2].account, "*");
  EXPECT_EQ((*e)[2].Describe(), "in [1, 9]");
  EXPECT_EQ((*e)[2].where, "s.yaml:5:5");
}

TEST(Expectations, AbsentSectionIsEmpty) {
  auto e = Expect("name: x\n");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->empty());
}

TEST(Expectations, ErrorsNameFileLineColumnAndField) {
  auto e = Expect("expect:\n  - {metric: lost, equals: 0}\n  - {metric: wait_p99, max: 3}\n");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message().rfind("s.yaml:3:14: expect[1].metric: unknown metric \"wait_p99\"", 0), 0u)
      << e.status().message();

  e = Expect("expect:\n  - metric: lost\n    equals: zero\n");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "s.yaml:3:13: expect[0].equals: expected a number, got \"zero\"");

  e = Expect("expect:\n  - {metric: lost}\n");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "s.yaml:2:5: expect[0]: needs equals, min or max");

  e = Expect("expect:\n  - {metric: lost, equal: 0}\n");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("s.yaml:2:20: expect[0].equal: unknown key"), std::string::npos)
      << e.status().message();

  e = Expect("expect:\n  - {metric: lost, equals: 0, max: 2}\n");
  EXPECT_FALSE(e.ok());
  e = Expect("expect: {metric: lost}\n");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message().rfind("s.yaml:1:9: expect: expected a list", 0), 0u);
  e = Expect("expect:\n  - [unclosed\n");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message().rfind("s.yaml:", 0), 0u);
}

TEST(Gates, ParsesPercentAndAbsoluteTolerances) {
  auto g = Gates("gate:\n  - {metric: wait_p99_s, account: \"*\", max_increase: 10%}\n"
                 "  - {metric: utilisation, max_decrease: 0.05}\n");
  ASSERT_TRUE(g.ok()) << g.status().message();
  ASSERT_EQ(g->size(), 2u);
  EXPECT_TRUE((*g)[0].max_increase->relative);
  EXPECT_DOUBLE_EQ((*g)[0].max_increase->Allowed(200), 20);
  EXPECT_EQ((*g)[0].Describe(), "+10%");
  EXPECT_FALSE((*g)[1].max_decrease->relative);
  EXPECT_EQ((*g)[1].Describe(), "-0.05");
}

TEST(Gates, RejectsBadTolerance) {
  auto g = Gates("gate:\n  - {metric: wait_p99_s, max_increase: ten%}\n");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().message().rfind("g.yaml:2:40: gate[0].max_increase: expected a number or a percentage", 0), 0u)
      << g.status().message();
  EXPECT_FALSE(Gates("gate:\n  - {metric: wait_p99_s}\n").ok());
  EXPECT_FALSE(Gates("gate:\n  - {metric: wait_p99_s, max_increase: -1}\n").ok());
}

TEST(ReportsYaml, DeepMergeMergesMapsAndReplacesScalarsAndLists) {
  auto base = LoadYamlText("a: 1\npolicy: {x: 1, y: 2}\nlist: [1, 2]\n", "b");
  auto overlay = LoadYamlText("policy: {y: 3, z: 4}\nlist: [9]\nnew: true\n", "o");
  ASSERT_TRUE(base.ok() && overlay.ok());
  YAML::Node merged = DeepMerge(*base, *overlay);
  EXPECT_EQ(merged["a"].as<int>(), 1);
  EXPECT_EQ(merged["policy"]["x"].as<int>(), 1);
  EXPECT_EQ(merged["policy"]["y"].as<int>(), 3);
  EXPECT_EQ(merged["policy"]["z"].as<int>(), 4);
  ASSERT_EQ(merged["list"].size(), 1u);
  EXPECT_EQ(merged["list"][0].as<int>(), 9);
  EXPECT_TRUE(merged["new"].as<bool>());
  // The base is untouched.
  EXPECT_EQ((*base)["policy"]["y"].as<int>(), 2);
}

TEST(ReportsYaml, SetDottedWalksMapsAndListIndices) {
  auto root = LoadYamlText("policy: {disable_preemption: false}\nbots:\n  - {name: a, count: 4}\n", "s");
  ASSERT_TRUE(root.ok());
  auto set = SetDotted(*root, "policy.disable_preemption", "true");
  ASSERT_TRUE(set.ok());
  EXPECT_TRUE((*set)["policy"]["disable_preemption"].as<bool>());
  EXPECT_FALSE((*root)["policy"]["disable_preemption"].as<bool>());
  set = SetDotted(*root, "bots.0.count", "2");
  ASSERT_TRUE(set.ok());
  EXPECT_EQ((*set)["bots"][0]["count"].as<int>(), 2);
  set = SetDotted(*root, "dispatcher.batch_window", "2s");
  ASSERT_TRUE(set.ok());
  EXPECT_EQ((*set)["dispatcher"]["batch_window"].as<std::string>(), "2s");
  EXPECT_FALSE(SetDotted(*root, "bots.7.count", "2").ok());
  EXPECT_FALSE(SetDotted(*root, "policy.disable_preemption.x", "2").ok());
  EXPECT_FALSE(SetDotted(*root, "policy..x", "2").ok());
}

TEST(ReportsYaml, AnchorRelativePathsMakesReplayFilesAbsolute) {
  auto root = LoadYamlText("workloads:\n  - arrivals: {kind: replay, file: logs/a.csv}\n"
                           "  - arrivals: {kind: replay, file: /abs/b.csv}\n  - arrivals: {kind: poisson}\n",
                           "s");
  ASSERT_TRUE(root.ok());
  YAML::Node anchored = AnchorRelativePaths(*root, "/data/scenarios/x.yaml");
  EXPECT_EQ(anchored["workloads"][0]["arrivals"]["file"].as<std::string>(), "/data/scenarios/logs/a.csv");
  EXPECT_EQ(anchored["workloads"][1]["arrivals"]["file"].as<std::string>(), "/abs/b.csv");
  EXPECT_FALSE(anchored["workloads"][2]["arrivals"]["file"].IsDefined());
  EXPECT_EQ((*root)["workloads"][0]["arrivals"]["file"].as<std::string>(), "logs/a.csv");
}

}  // namespace
}  // namespace qsim::reports
