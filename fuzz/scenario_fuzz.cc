// Fuzz target: the scenario loader on arbitrary text. Whatever the text,
// ParseScenario returns a scenario or an error; a scenario it accepts writes
// out (WriteResolvedScenario) to text that it accepts again.
#include <string>

#include "fuzz/fuzz_target.h"
#include "sim/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // Replay files named by the scenario resolve against a folder that does
  // not exist, so the target reads nothing from disk for relative names.
  const std::string base_dir = "/nonexistent/qsim-fuzz";
  qsim::StatusOr<qsim::sim::Scenario> scenario = qsim::sim::ParseScenario(text, "fuzz.yaml", base_dir);
  if (!scenario.ok()) return 0;
  const std::string resolved = qsim::sim::WriteResolvedScenario(*scenario);
  qsim::StatusOr<qsim::sim::Scenario> again = qsim::sim::ParseScenario(resolved, "resolved.yaml", base_dir);
  if (!again.ok()) std::fprintf(stderr, "%s\n--- resolved:\n%s\n", again.status().message().c_str(), resolved.c_str());
  FUZZ_REQUIRE(again.ok(), "a resolved scenario that does not load back");
  return 0;
}
