// What provisioning does to a bot's labels, shared by the dispatcher's runs
// and the runs a scenario starts at time 0. Internal to sim/.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scheduler/types.h"

namespace qsim::sim {

// Sets each provisionable label's key (the part before ':') to the task's
// value, keeping the bot's other keys: provisioning installs what the task
// asked for and leaves the rest alone.
inline LabelSet Provision(const LabelSet& have, const LabelSet& want) {
  auto key = [](const std::string& l) { return std::string_view(l).substr(0, l.find(':')); };
  std::vector<std::string> out;
  for (const std::string& h : have) {
    bool replaced = std::any_of(want.begin(), want.end(), [&](const std::string& w) { return key(w) == key(h); });
    if (!replaced) out.push_back(h);
  }
  out.insert(out.end(), want.begin(), want.end());
  return MakeLabelSet(std::move(out));
}

inline bool HasAll(const LabelSet& have, const LabelSet& want) {
  return std::includes(have.begin(), have.end(), want.begin(), want.end());
}

}  // namespace qsim::sim
