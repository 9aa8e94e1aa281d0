// Strict YAML, the one reading of every YAML file qsim is given (scenarios,
// --variant overlays, gate files, sweep.gates.yaml): a first pass over the
// event stream, before any node is built, that refuses what yaml-cpp would
// silently accept or expand (docs/limits.md, "Strict YAML"), and the scalar
// rules of the readers after it. Used by sim/ (the scenario loader) and
// reports/ (compare, sweep, check), which may not depend on each other.
#pragma once

#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "base/status.h"

namespace qsim::strict_yaml {

// "file:line:column: path: message" (1-based; no line and column for a null
// mark, no path when it is empty): the location format of every YAML error.
Status ErrorAt(const std::string& file, const YAML::Mark& mark, const std::string& path, const std::string& message);

// The first pass: one document, no anchors or aliases (an alias bomb would
// expand exponentially in yaml-cpp's node tree), no key repeated within a
// mapping anywhere (yaml-cpp silently keeps one of them). A syntax error is
// located too. Sizes are the caller's to limit before.
Status CheckStrictYaml(const std::string& text, const std::string& file);

// A plain (unquoted, untagged) scalar: quoted text is a string, never a
// number or a boolean.
bool IsPlain(const YAML::Node& n);

// "-?(0|[1-9][0-9]*)": no sign but '-', no leading zeros (YAML 1.1 octal),
// no hex, no separators.
bool IsIntegerText(std::string_view s);

// An integer part as above, then optionally ".digits" and "e[+-]digits":
// no .inf, .nan, hex floats or a bare leading dot.
bool IsNumberText(std::string_view s);

}  // namespace qsim::strict_yaml
