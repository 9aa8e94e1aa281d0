// deploy/kubernetes/sweep-indexed-job.yaml: valid YAML, an Indexed Job whose
// pods each run one shard with their completion index, a shard count that
// agrees in completions, parallelism and --shard, and a merge Job over the
// shards' folders. Nothing here runs a cluster.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "tests/testing/test_util.h"

namespace {

const std::string kManifest = qsim::testing::SourceDir() + "/deploy/kubernetes/sweep-indexed-job.yaml";

std::vector<YAML::Node> Documents() {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAllFromFile(kManifest);
  } catch (const YAML::Exception& e) {
    ADD_FAILURE() << kManifest << ": " << e.what();
  }
  return docs;
}

YAML::Node Find(const std::vector<YAML::Node>& docs, const std::string& kind, const std::string& name) {
  for (const YAML::Node& d : docs) {
    if (d["kind"].as<std::string>("") == kind && d["metadata"]["name"].as<std::string>("") == name) return d;
  }
  ADD_FAILURE() << kManifest << ": no " << kind << " named " << name;
  return YAML::Node();
}

std::vector<std::string> Command(const YAML::Node& job) {
  return job["spec"]["template"]["spec"]["containers"][0]["command"].as<std::vector<std::string>>();
}

TEST(KubernetesManifest, ShardsAreAnIndexedJobWithOneShardPerIndex) {
  std::vector<YAML::Node> docs = Documents();
  ASSERT_EQ(docs.size(), 3u);
  YAML::Node job = Find(docs, "Job", "qsim-sweep-shards");
  ASSERT_TRUE(job);
  EXPECT_EQ(job["apiVersion"].as<std::string>(), "batch/v1");
  const YAML::Node spec = job["spec"];
  EXPECT_EQ(spec["completionMode"].as<std::string>(), "Indexed");
  int completions = spec["completions"].as<int>();
  EXPECT_EQ(spec["parallelism"].as<int>(), completions);
  EXPECT_EQ(spec["template"]["spec"]["restartPolicy"].as<std::string>(), "Never");

  const YAML::Node container = spec["template"]["spec"]["containers"][0];
  const YAML::Node env = container["env"][0];
  EXPECT_EQ(env["name"].as<std::string>(), "SHARD");
  EXPECT_EQ(env["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>(),
            "metadata.annotations['batch.kubernetes.io/job-completion-index']");
  std::vector<std::string> command = Command(job);
  ASSERT_GE(command.size(), 3u);
  EXPECT_EQ(command[0], "qsim");
  EXPECT_EQ(command[1], "sweep");
  auto value_of = [&](const std::string& flag) {
    for (size_t i = 0; i + 1 < command.size(); ++i) {
      if (command[i] == flag) return command[i + 1];
    }
    ADD_FAILURE() << "no " << flag << " in the shard command";
    return std::string();
  };
  EXPECT_EQ(value_of("--shard"), "$(SHARD)/" + std::to_string(completions));
  EXPECT_EQ(value_of("--out"), "/results/shards/$(SHARD)");
  EXPECT_FALSE(value_of("--grid").empty());
  EXPECT_EQ(value_of("--jobs"), container["resources"]["requests"]["cpu"].as<std::string>());
}

TEST(KubernetesManifest, MergeJobReadsTheShardsFromTheSharedVolume) {
  std::vector<YAML::Node> docs = Documents();
  YAML::Node merge = Find(docs, "Job", "qsim-sweep-merge");
  ASSERT_TRUE(merge);
  std::vector<std::string> command = Command(merge);
  ASSERT_EQ(command.size(), 3u);
  EXPECT_EQ(command[2], "exec qsim merge shards/* --out sweep");
  YAML::Node shards = Find(docs, "Job", "qsim-sweep-shards");
  std::string claim = Find(docs, "PersistentVolumeClaim", "qsim-sweep-results")["metadata"]["name"].as<std::string>();
  for (const YAML::Node& job : {shards, merge}) {
    const YAML::Node pod = job["spec"]["template"]["spec"];
    EXPECT_EQ(pod["volumes"][0]["persistentVolumeClaim"]["claimName"].as<std::string>(), claim);
    EXPECT_EQ(pod["containers"][0]["volumeMounts"][0]["mountPath"].as<std::string>(), "/results");
  }
  EXPECT_EQ(merge["spec"]["template"]["spec"]["containers"][0]["workingDir"].as<std::string>(), "/results");
}

}  // namespace
