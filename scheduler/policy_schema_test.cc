#include "scheduler/policy_schema.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <type_traits>

#include "proto/state.pb.h"
#include "scheduler/scheduler.h"

namespace qsim {
namespace {

TEST(PolicySchema, NamesEveryProtoFieldOnce) {
  std::set<std::string> listed;
  std::set<std::string> yaml_names;
  Policy p;
  ForEachPolicyField(p, [&](PolicyFieldName name, auto&) {
    EXPECT_TRUE(listed.insert(std::string(name.proto)).second) << name.proto;
    EXPECT_TRUE(yaml_names.insert(std::string(name.yaml)).second) << name.yaml;
  });
  const google::protobuf::Descriptor* d = proto::Policy::descriptor();
  std::set<std::string> fields;
  for (int i = 0; i < d->field_count(); ++i) fields.insert(d->field(i)->name());
  EXPECT_EQ(listed, fields);
}

// Every switch set away from its default, so that a switch the proto form
// forgot would come back as its default and differ.
Policy NonDefaultPolicy() {
  Policy p;
  int n = 0;
  ForEachPolicyField(p, [&](PolicyFieldName, auto& value) {
    ++n;
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_same_v<T, bool>) {
      value = !value;
    } else if constexpr (std::is_same_v<T, Duration>) {
      value += Seconds(n);
    } else if constexpr (std::is_same_v<T, float>) {
      value += 0.5f * n;
    } else {
      value += n;
    }
  });
  return p;
}

TEST(PolicySchema, EverySwitchSurvivesTheProtoForm) {
  Policy p = NonDefaultPolicy();
  ForEachPolicyField(p, [&](PolicyFieldName name, const auto& value) {
    Policy defaults;
    bool differs = false;
    ForEachPolicyField(defaults, [&](PolicyFieldName other, const auto& d) {
      if constexpr (std::is_same_v<std::decay_t<decltype(d)>, std::decay_t<decltype(value)>>) {
        if (other.yaml == name.yaml) differs = !(d == value);
      }
    });
    EXPECT_TRUE(differs) << name.yaml << " was not moved off its default";
  });
  Scheduler s = Scheduler::New(TimeFromMicros(1700000000000000), p);
  StatusOr<Scheduler> restored = Scheduler::NewFromProto(s.ToProto());
  ASSERT_TRUE(restored.ok()) << restored.status().message();
  EXPECT_EQ(restored->policy(), p);
}

}  // namespace
}  // namespace qsim
