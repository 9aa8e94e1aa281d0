#include "reports/yaml_util.h"
#include "runfolder/csv.h"
#include "runfolder/files.h"
#include "strict_yaml/strict_yaml.h"

#include <cctype>
#include <filesystem>
#include <vector>


namespace qsim::reports {
namespace {

bool IsIndex(const std::string& s) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::string Where(const std::string& file, const YAML::Node& node) {
  YAML::Mark mark = node.Mark();
  if (mark.is_null()) return file;
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

StatusOr<YAML::Node> LoadYamlText(const std::string& text, const std::string& file) {
  // Strict first: no node is built from a repeated key or an alias bomb.
  QSIM_RETURN_IF_ERROR(strict_yaml::CheckStrictYaml(text, file));
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(file + ":" + std::to_string(e.mark.line + 1) + ":" +
                           std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

StatusOr<YAML::Node> LoadYamlFile(const std::string& path) {
  StatusOr<std::string> text = runfolder::ReadTextFile(path);
  if (!text.ok()) return text.status();
  return LoadYamlText(*text, path);
}

YAML::Node DeepMerge(const YAML::Node& base, const YAML::Node& overlay) {
  if (!base.IsMap() || !overlay.IsMap()) return YAML::Clone(overlay);
  YAML::Node merged(YAML::NodeType::Map);
  for (const auto& entry : base) {
    const std::string key = entry.first.Scalar();
    if (overlay[key]) {
      merged[key] = DeepMerge(entry.second, overlay[key]);
    } else {
      merged[key] = YAML::Clone(entry.second);
    }
  }
  for (const auto& entry : overlay) {
    const std::string key = entry.first.Scalar();
    if (!base[key]) merged[key] = YAML::Clone(entry.second);
  }
  return merged;
}

namespace {

// The first scalar under `n` that is quoted (or tagged) but reads as a number
// or a boolean; "" when there is none.
std::string QuotedNumberOrBool(const YAML::Node& n) {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    bool looks_typed = strict_yaml::IsNumberText(s) || s == "true" || s == "false";
    return !strict_yaml::IsPlain(n) && looks_typed ? s : "";
  }
  if (n.IsSequence()) {
    for (const YAML::Node& item : n) {
      if (std::string q = QuotedNumberOrBool(item); !q.empty()) return q;
    }
  }
  if (n.IsMap()) {
    for (const auto& kv : n) {
      if (std::string q = QuotedNumberOrBool(kv.second); !q.empty()) return q;
    }
  }
  return "";
}

}  // namespace

StatusOr<YAML::Node> SetDotted(const YAML::Node& root, const std::string& dotted_key,
                               const std::string& value) {
  std::vector<std::string> parts = SplitString(dotted_key, '.');
  for (const std::string& part : parts) {
    if (part.empty()) return InvalidArgument("key \"" + dotted_key + "\": empty part");
  }
  YAML::Node parsed_value;
  try {
    parsed_value = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    return InvalidArgument("key \"" + dotted_key + "\": value \"" + value + "\": " + e.msg);
  }
  // The value reaches the scenario through the emitter, which drops quotes:
  // a quoted number or boolean would pass the loader's strict-scalar rule.
  if (std::string quoted = QuotedNumberOrBool(parsed_value); !quoted.empty()) {
    return InvalidArgument("key \"" + dotted_key + "\": \"" + quoted +
                           "\" is quoted (read as text); write numbers and true/false unquoted");
  }
  YAML::Node copy = YAML::Clone(root);
  if (!copy.IsMap()) return InvalidArgument("key \"" + dotted_key + "\": the scenario is not a map");
  // yaml-cpp nodes are handles: walking with a Node variable and assigning
  // through it edits the tree in place.
  std::vector<YAML::Node> path{copy};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node current = path.back();
    const std::string& part = parts[i];
    if (current.IsSequence()) {
      if (!IsIndex(part) || std::stoul(part) >= current.size()) {
        return InvalidArgument("key \"" + dotted_key + "\": \"" + part + "\" is not an index of the list");
      }
      path.push_back(current[std::stoul(part)]);
      continue;
    }
    if (!current[part]) current[part] = YAML::Node(YAML::NodeType::Map);
    YAML::Node next = current[part];
    if (!next.IsMap() && !next.IsSequence()) {
      return InvalidArgument("key \"" + dotted_key + "\": \"" + part + "\" is a value, not a map or list");
    }
    path.push_back(next);
  }
  YAML::Node parent = path.back();
  const std::string& leaf = parts.back();
  if (parent.IsSequence()) {
    if (!IsIndex(leaf) || std::stoul(leaf) >= parent.size()) {
      return InvalidArgument("key \"" + dotted_key + "\": \"" + leaf + "\" is not an index of the list");
    }
    parent[std::stoul(leaf)] = parsed_value;
  } else {
    parent[leaf] = parsed_value;
  }
  return copy;
}

YAML::Node AnchorRelativePaths(const YAML::Node& scenario, const std::string& scenario_path) {
  YAML::Node copy = YAML::Clone(scenario);
  if (!copy.IsMap() || !copy["workloads"].IsSequence()) return copy;
  std::error_code error;
  std::filesystem::path base = std::filesystem::absolute(scenario_path, error).parent_path();
  if (error) return copy;
  for (YAML::Node workload : copy["workloads"]) {
    if (!workload.IsMap() || !workload["arrivals"].IsMap()) continue;
    YAML::Node file = workload["arrivals"]["file"];
    if (!file.IsScalar() || file.Scalar().empty() || file.Scalar()[0] == '/') continue;
    workload["arrivals"]["file"] = (base / file.Scalar()).lexically_normal().string();
  }
  return copy;
}

std::string EmitYaml(const YAML::Node& node) {
  YAML::Emitter emitter;
  emitter << node;
  std::string text = emitter.c_str();
  if (text.empty() || text.back() != '\n') text.push_back('\n');
  return text;
}

std::vector<std::string> SplitString(std::string_view text, char sep) {
  std::vector<std::string> parts(1);
  for (char c : text) {
    if (c == sep) {
      parts.emplace_back();
    } else {
      parts.back().push_back(c);
    }
  }
  return parts;
}

}  // namespace qsim::reports
