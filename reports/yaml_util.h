// YAML helpers for compare and sweep: loading with located errors, the
// variant overlay (deep merge) and dotted-key assignment. yaml-cpp exceptions
// stop here and become Status values naming file:line:column.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "base/status.h"

namespace qsim::reports {

// "file:line:column" of a node (1-based), or "file" when it has no mark.
std::string Where(const std::string& file, const YAML::Node& node);

// Loads a YAML document, strictly (strict_yaml/strict_yaml.h: one document,
// no anchors or aliases, no repeated keys); an error reads
// "file:line:column: [key.path: ]message".
StatusOr<YAML::Node> LoadYamlFile(const std::string& path);
StatusOr<YAML::Node> LoadYamlText(const std::string& text, const std::string& file);

// Deep-merges `overlay` onto a copy of `base`: maps merge key by key
// (recursively), scalars and sequences in the overlay replace the base's.
// The base's key order is kept; new keys follow it in the overlay's order.
YAML::Node DeepMerge(const YAML::Node& base, const YAML::Node& overlay);

// Sets `dotted_key` ("policy.disable_preemption", "bots.0.count") in a copy
// of `root` to `value`, parsed as a YAML scalar (so "true", "12" and "5m"
// keep their YAML meaning). Missing map levels are created; a numeric part
// indexes an existing sequence. Errors name the key.
StatusOr<YAML::Node> SetDotted(const YAML::Node& root, const std::string& dotted_key,
                               const std::string& value);

// A scenario copied to another folder must still find the replay logs it
// names by relative path (`workloads[i].arrivals.file`, resolved by the loader
// against the scenario's own folder): returns a copy of `scenario` with those
// paths made absolute against the folder of `scenario_path`.
YAML::Node AnchorRelativePaths(const YAML::Node& scenario, const std::string& scenario_path);

// Block-style YAML text of `node`, ending in a newline.
std::string EmitYaml(const YAML::Node& node);

// Splits `text` at every `sep`, keeping empty parts ("a,,b" -> a, "", b).
std::vector<std::string> SplitString(std::string_view text, char sep);

}  // namespace qsim::reports
