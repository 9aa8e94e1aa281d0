// The scenario loader: YAML text -> a validated, complete Scenario. The
// loader checks syntax and types; the rules on values (ranges, names that
// must be defined) are ValidateScenario's (internal/validate.h), run on each
// section as it is read and located back in the file. yaml-cpp exceptions
// stop here; every error names file, line, column and key path.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <sstream>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "base/key_path.h"
#include "base/duration_text.h"
#include "runfolder/csv.h"
#include "scheduler/policy_schema.h"
#include "sim/internal/validate.h"
#include "sim/limits.h"
#include "sim/scenario.h"
#include "strict_yaml/strict_yaml.h"

namespace qsim::sim {

namespace {


std::string Describe(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "nothing";
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  return "\"" + n.Scalar() + "\"";
}

YAML::Node FindNode(const YAML::Node& root, const std::string& path);

// A file stem as a scenario name: characters outside NameProblem's set become
// '-', leading dots go.
std::string SafeName(std::string stem) {
  for (char& c : stem) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '-';
  }
  while (!stem.empty() && stem[0] == '.') stem.erase(0, 1);
  if (stem.empty() || !NameProblem(stem).empty()) return "scenario";
  return stem;
}

using strict_yaml::IsIntegerText;
using strict_yaml::IsNumberText;
using strict_yaml::IsPlain;

class Loader {
 public:
  Loader(std::string file, std::string base_dir) : file_(std::move(file)), base_dir_(std::move(base_dir)) {}

  Status Error(const YAML::Node& at, const std::string& path, const std::string& msg) const {
    return ErrorAt(at.IsDefined() ? at.Mark() : YAML::Mark::null_mark(), path, msg);
  }
  Status ErrorAt(const YAML::Mark& m, const std::string& path, const std::string& msg) const {
    return strict_yaml::ErrorAt(file_, m, path, msg);
  }

  // `n` must be a mapping whose keys are all in `allowed`, without repeats.
  Status CheckMap(const YAML::Node& n, const std::string& path,
                  std::initializer_list<std::string_view> allowed) const {
    return CheckMap(n, path, std::span<const std::string_view>(allowed.begin(), allowed.size()));
  }
  Status CheckMap(const YAML::Node& n, const std::string& path, std::span<const std::string_view> allowed) const {
    if (!n.IsMap()) return Error(n, path, "expected a mapping, got " + Describe(n));
    std::set<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!it->first.IsScalar()) return Error(it->first, path, "keys must be plain strings");
      const std::string& key = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        return Error(it->first, JoinKey(path, key), "unknown key (expected one of: " + list + ")");
      }
      if (!seen.insert(key).second) return Error(it->first, JoinKey(path, key), "duplicate key");
    }
    return Status::Ok();
  }

  // Numbers, booleans and durations are plain scalars: "5" is a string.
  Status Unquoted(const YAML::Node& v, const std::string& path, const char* what) const {
    if (!v.IsScalar() || IsPlain(v)) return Status::Ok();
    return Error(v, path, std::string("expected ") + what + " without quotes or tags, got " + Describe(v));
  }

  // Each Read* leaves *out unchanged when the key is absent.
  Status ReadString(const YAML::Node& map, const char* key, const std::string& path, std::string* out) const {
    YAML::Node v = map[key];
    if (!v.IsDefined()) return Status::Ok();
    if (!v.IsScalar()) return Error(v, JoinKey(path, key), "expected a string, got " + Describe(v));
    *out = v.Scalar();
    return Status::Ok();
  }

  Status ReadDouble(const YAML::Node& v, const std::string& path, double* out) const {
    double d;
    QSIM_RETURN_IF_ERROR(Unquoted(v, path, "a number"));
    if (!v.IsScalar() || !IsNumberText(v.Scalar()) || !YAML::convert<double>::decode(v, d) || !std::isfinite(d)) {
      return Error(v, path, "expected a finite number, got " + Describe(v));
    }
    *out = d;
    return Status::Ok();
  }
  Status ReadDouble(const YAML::Node& map, const char* key, const std::string& path, double* out) const {
    YAML::Node v = map[key];
    if (!v.IsDefined()) return Status::Ok();
    return ReadDouble(v, JoinKey(path, key), out);
  }
  // A list of exactly `count` numbers (a weekly profile's factors).
  Status ReadFactors(const YAML::Node& map, const char* key, size_t count, const std::string& path,
                     std::vector<double>* out) const {
    YAML::Node v = map[key];
    if (!v.IsDefined()) return Status::Ok();
    std::string p = JoinKey(path, key);
    if (!v.IsSequence() || v.size() != count) {
      return Error(v, p, "expected a list of " + std::to_string(count) + " numbers, got " + Describe(v));
    }
    out->assign(count, 0);
    for (size_t i = 0; i < count; ++i) QSIM_RETURN_IF_ERROR(ReadDouble(v[i], IndexKey(p, i), &(*out)[i]));
    return Status::Ok();
  }
  Status ReadFloat(const YAML::Node& v, const std::string& path, float* out) const {
    double d = 0;
    QSIM_RETURN_IF_ERROR(ReadDouble(v, path, &d));
    if (std::fabs(d) > std::numeric_limits<float>::max()) return Error(v, path, "out of float32 range, got " + v.Scalar());
    *out = static_cast<float>(d);
    return Status::Ok();
  }

  // An integer; [min, max] only narrows it to the type it is stored in.
  Status ReadInt(const YAML::Node& v, const std::string& path, int64_t* out,
                 int64_t min = std::numeric_limits<int64_t>::min(),
                 int64_t max = std::numeric_limits<int64_t>::max()) const {
    int64_t i = 0;
    QSIM_RETURN_IF_ERROR(Unquoted(v, path, "an integer"));
    if (!v.IsScalar() || !IsIntegerText(v.Scalar()) ||
        std::from_chars(v.Scalar().data(), v.Scalar().data() + v.Scalar().size(), i).ec != std::errc()) {
      return Error(v, path, "expected an integer, got " + Describe(v));
    }
    if (i < min || i > max) {
      std::string range = max == std::numeric_limits<int64_t>::max()
                              ? ">= " + std::to_string(min)
                              : "between " + std::to_string(min) + " and " + std::to_string(max);
      return Error(v, path, "must be " + range + ", got " + v.Scalar());
    }
    *out = i;
    return Status::Ok();
  }
  Status ReadInt(const YAML::Node& map, const char* key, const std::string& path, int64_t* out,
                 int64_t min = std::numeric_limits<int64_t>::min(),
                 int64_t max = std::numeric_limits<int64_t>::max()) const {
    YAML::Node v = map[key];
    if (!v.IsDefined()) return Status::Ok();
    return ReadInt(v, JoinKey(path, key), out, min, max);
  }

  Status ReadBool(const YAML::Node& v, const std::string& path, bool* out) const {
    QSIM_RETURN_IF_ERROR(Unquoted(v, path, "true or false"));
    if (!v.IsScalar() || (v.Scalar() != "true" && v.Scalar() != "false")) {
      return Error(v, path, "expected true or false, got " + Describe(v));
    }
    *out = v.Scalar() == "true";
    return Status::Ok();
  }
  Status ReadBool(const YAML::Node& map, const char* key, const std::string& path, bool* out) const {
    YAML::Node v = map[key];
    if (!v.IsDefined()) return Status::Ok();
    return ReadBool(v, JoinKey(path, key), out);
  }

  Status ReadDuration(const YAML::Node& v, const std::string& path, Duration* out) const {
    QSIM_RETURN_IF_ERROR(Unquoted(v, path, "a duration"));
    std::optional<Duration> d;
    if (v.IsScalar()) d = ParseDurationText(v.Scalar());
    if (!d) {
      return Error(v, path, "expected a duration such as 30s, 1.5m, 2h or 500ms, got " + Describe(v));
    }
    *out = *d;
    return Status::Ok();
  }
  Status ReadDuration(const YAML::Node& map, const char* key, const std::string& path, Duration* out) const {
    YAML::Node v = map[key];
    if (!v.IsDefined()) return Status::Ok();
    return ReadDuration(v, JoinKey(path, key), out);
  }

  Status ReadStringList(const YAML::Node& map, const char* key, const std::string& path,
                        std::vector<std::string>* out) const {
    YAML::Node v = map[key];
    if (!v.IsDefined()) return Status::Ok();
    std::string p = JoinKey(path, key);
    if (!v.IsSequence()) return Error(v, p, "expected a list of strings, got " + Describe(v));
    out->clear();
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].IsScalar() || v[i].Scalar().empty()) {
        return Error(v[i], IndexKey(p, i), "expected a non-empty string, got " + Describe(v[i]));
      }
      if (std::string problem = LabelProblem(v[i].Scalar()); !problem.empty()) {
        return Error(v[i], IndexKey(p, i), problem + ", got " + Describe(v[i]));
      }
      out->push_back(v[i].Scalar());
    }
    return Status::Ok();
  }
  Status ReadLabels(const YAML::Node& map, const char* key, const std::string& path, LabelSet* out) const {
    std::vector<std::string> raw = *out;
    QSIM_RETURN_IF_ERROR(ReadStringList(map, key, path, &raw));
    *out = MakeLabelSet(std::move(raw));
    return Status::Ok();
  }

  Status Require(const YAML::Node& map, const char* key, const std::string& path) const {
    if (!map[key].IsDefined()) return Error(map, JoinKey(path, key), "required key is missing");
    return Status::Ok();
  }

  Status ReadDist(const YAML::Node& v, const std::string& path, DurationDist* out) const;
  Status ReadPolicy(const YAML::Node& v, const std::string& path, Policy* out) const;
  Status ReadAccount(const YAML::Node& key, const YAML::Node& v, const std::string& path, AccountSpec* out) const;
  // `s`: the scenario read so far (accounts and bots).
  Status ReadArrivals(const YAML::Node& v, const std::string& path, const Scenario& s, ArrivalSpec* out) const;
  // `s.accounts` (sorted by id) and `s.bots` are read before the workloads,
  // so that a task log row naming another account, or a bot that is not
  // there (running_on), is an error at that row.
  Status ReadReplay(const YAML::Node& at, const std::string& path, const Scenario& s, ArrivalSpec* out) const;
  Status ReadWorkload(const YAML::Node& v, const std::string& path, const Scenario& s, WorkloadSpec* out) const;
  Status ReadBotGroup(const YAML::Node& v, const std::string& path, BotGroupSpec* out) const;
  Status ReadDispatcher(const YAML::Node& v, const std::string& path, DispatcherSpec* out) const;
  Status ReadOutage(const YAML::Node& v, const std::string& path, OutageSpec* out) const;
  Status ReadFaults(const YAML::Node& v, const std::string& path, FaultsSpec* out) const;
  Status ReadRunLength(const YAML::Node& root, Scenario* out) const;  // and outputs, policy
  Status ReadAccounts(const YAML::Node& root, Scenario* out) const;
  Status ReadBots(const YAML::Node& root, Scenario* out) const;
  Status ReadWorkloads(const YAML::Node& root, Scenario* out) const;
  Status ReadScenario(const YAML::Node& root, Scenario* out) const;
  // The problem, if any, at its key's place in the file.
  Status Located(const YAML::Node& root, const Check& problem) const;

 private:
  std::string file_;
  std::string base_dir_;
};

Status Loader::ReadDist(const YAML::Node& v, const std::string& path, DurationDist* out) const {
  if (v.IsScalar()) {  // shorthand: a constant
    out->kind = DurationDist::Kind::kConstant;
    return ReadDuration(v, path, &out->value);
  }
  if (!v.IsMap()) return Error(v, path, "expected a duration or a mapping with `dist:`, got " + Describe(v));
  QSIM_RETURN_IF_ERROR(Require(v, "dist", path));
  std::string dist;
  QSIM_RETURN_IF_ERROR(ReadString(v, "dist", path, &dist));
  if (dist == "constant") {
    QSIM_RETURN_IF_ERROR(CheckMap(v, path, {"dist", "value"}));
    QSIM_RETURN_IF_ERROR(Require(v, "value", path));
    out->kind = DurationDist::Kind::kConstant;
    return ReadDuration(v, "value", path, &out->value);
  }
  if (dist == "exponential") {
    QSIM_RETURN_IF_ERROR(CheckMap(v, path, {"dist", "mean"}));
    QSIM_RETURN_IF_ERROR(Require(v, "mean", path));
    out->kind = DurationDist::Kind::kExponential;
    return ReadDuration(v, "mean", path, &out->mean);
  }
  if (dist == "lognormal") {
    QSIM_RETURN_IF_ERROR(CheckMap(v, path, {"dist", "median", "sigma"}));
    QSIM_RETURN_IF_ERROR(Require(v, "median", path));
    QSIM_RETURN_IF_ERROR(Require(v, "sigma", path));
    out->kind = DurationDist::Kind::kLognormal;
    QSIM_RETURN_IF_ERROR(ReadDuration(v, "median", path, &out->median));
    return ReadDouble(v, "sigma", path, &out->sigma);
  }
  if (dist == "uniform") {
    QSIM_RETURN_IF_ERROR(CheckMap(v, path, {"dist", "min", "max"}));
    QSIM_RETURN_IF_ERROR(Require(v, "min", path));
    QSIM_RETURN_IF_ERROR(Require(v, "max", path));
    out->kind = DurationDist::Kind::kUniform;
    QSIM_RETURN_IF_ERROR(ReadDuration(v, "min", path, &out->min));
    return ReadDuration(v, "max", path, &out->max);
  }
  if (dist == "empirical") {
    QSIM_RETURN_IF_ERROR(CheckMap(v, path, {"dist", "values"}));
    QSIM_RETURN_IF_ERROR(Require(v, "values", path));
    out->kind = DurationDist::Kind::kEmpirical;
    YAML::Node vals = v["values"];
    std::string p = JoinKey(path, "values");
    if (!vals.IsSequence() || vals.size() == 0) {
      return Error(vals, p, "expected a non-empty list of durations, got " + Describe(vals));
    }
    out->values.clear();
    for (size_t i = 0; i < vals.size(); ++i) {
      Duration d{};
      QSIM_RETURN_IF_ERROR(ReadDuration(vals[i], IndexKey(p, i), &d));
      out->values.push_back(d);
    }
    return Status::Ok();
  }
  return Error(v["dist"], JoinKey(path, "dist"),
               "unknown distribution \"" + dist + "\" (expected constant, exponential, lognormal, uniform or empirical)");
}

// The switches and their keys are scheduler/policy_schema.h's.
Status Loader::ReadPolicy(const YAML::Node& v, const std::string& path, Policy* p) const {
  std::vector<std::string_view> keys;
  ForEachPolicyField(*p, [&keys](PolicyFieldName name, const auto&) { keys.push_back(name.yaml); });
  QSIM_RETURN_IF_ERROR(CheckMap(v, path, keys));
  Status status;
  ForEachPolicyField(*p, [&](PolicyFieldName name, auto& member) {
    YAML::Node n = v[std::string(name.yaml)];
    if (!status.ok() || !n.IsDefined()) return;
    std::string key_path = JoinKey(path, std::string(name.yaml));
    using T = std::decay_t<decltype(member)>;
    if constexpr (std::is_same_v<T, bool>) {
      status = ReadBool(n, key_path, &member);
    } else if constexpr (std::is_same_v<T, Duration>) {
      status = ReadDuration(n, key_path, &member);
    } else if constexpr (std::is_same_v<T, float>) {
      status = ReadFloat(n, key_path, &member);
    } else {
      static_assert(std::is_same_v<T, int64_t>, "a policy switch is bool, Duration, float or int64_t");
      status = ReadInt(n, key_path, &member);
    }
  });
  return status;
}

Status Loader::ReadAccount(const YAML::Node& key, const YAML::Node& v, const std::string& path,
                           AccountSpec* a) const {
  if (!key.IsScalar() || key.Scalar().empty()) return Error(key, path, "account ids must be non-empty strings");
  a->id = key.Scalar();
  QSIM_RETURN_IF_ERROR(CheckMap(v, path,
                                {"charge_rate", "max_charge_seconds", "max_fanout", "per_label_task_limits",
                                 "disable_free_tasks", "description", "initial_balance"}));
  AccountConfig& c = a->config;
  if (YAML::Node r = v["charge_rate"]; r.IsDefined()) {
    std::string p = JoinKey(path, "charge_rate");
    if (r.IsScalar()) {
      QSIM_RETURN_IF_ERROR(ReadFloat(r, p, &c.charge_rate[0]));
    } else {
      if (!r.IsSequence() || r.size() == 0 || r.size() > kNumPriorities) {
        return Error(r, p, "expected a list of 1 to 5 numbers (one per priority P0-P4), got " +
                               (r.IsSequence() && r.size() > 0 ? std::to_string(r.size()) + " values, at most 5" : Describe(r)));
      }
      for (size_t i = 0; i < r.size(); ++i) QSIM_RETURN_IF_ERROR(ReadFloat(r[i], IndexKey(p, i), &c.charge_rate[i]));
    }
  }
  if (v["max_charge_seconds"].IsDefined()) {
    QSIM_RETURN_IF_ERROR(ReadFloat(v["max_charge_seconds"], JoinKey(path, "max_charge_seconds"), &c.max_charge_seconds));
  }
  int64_t fanout = c.max_fanout;
  QSIM_RETURN_IF_ERROR(ReadInt(v, "max_fanout", path, &fanout, std::numeric_limits<int32_t>::min(),
                               std::numeric_limits<int32_t>::max()));
  c.max_fanout = static_cast<int32_t>(fanout);
  if (YAML::Node l = v["per_label_task_limits"]; l.IsDefined()) {
    std::string p = JoinKey(path, "per_label_task_limits");
    if (!l.IsMap()) return Error(l, p, "expected a mapping label-prefix: limit, got " + Describe(l));
    std::set<std::string> seen;
    for (auto it = l.begin(); it != l.end(); ++it) {
      std::string prefix = it->first.Scalar();
      if (prefix.empty()) return Error(it->first, p, "label prefixes must be non-empty");
      if (!seen.insert(prefix).second) return Error(it->first, JoinKey(p, prefix), "duplicate key");
      int64_t limit;
      QSIM_RETURN_IF_ERROR(ReadInt(it->second, JoinKey(p, prefix), &limit, std::numeric_limits<int32_t>::min(),
                                   std::numeric_limits<int32_t>::max()));
      c.per_label_task_limits[prefix] = static_cast<int32_t>(limit);
    }
  }
  QSIM_RETURN_IF_ERROR(ReadBool(v, "disable_free_tasks", path, &c.disable_free_tasks));
  QSIM_RETURN_IF_ERROR(ReadString(v, "description", path, &c.description));
  if (YAML::Node b = v["initial_balance"]; b.IsDefined()) {
    std::string p = JoinKey(path, "initial_balance");
    if (b.IsScalar() && (b.Scalar() == "full" || b.Scalar() == "empty")) {
      a->initial_full = b.Scalar() == "full";
      a->initial_balance.clear();
    } else if (b.IsSequence() && b.size() <= kNumPriorities) {
      a->initial_full = false;
      a->initial_balance.assign(b.size(), 0);
      for (size_t i = 0; i < b.size(); ++i) QSIM_RETURN_IF_ERROR(ReadFloat(b[i], IndexKey(p, i), &a->initial_balance[i]));
    } else {
      return Error(b, p, "expected full, empty or a list of up to 5 numbers, got " +
                             (b.IsSequence() ? std::to_string(b.size()) + " values, at most 5" : Describe(b)));
    }
  }
  return Status::Ok();
}

// What is wrong with a task log row: the field and why.
struct RowProblem {
  size_t field;
  std::string message;
};

// A task log label list, "a;b": every label non-empty (no ";;", no leading or
// trailing ';') and allowed by LabelProblem.
std::optional<std::string> ReadLogLabels(const std::string& text, LabelSet* labels) {
  std::vector<std::string> parts;
  if (!text.empty()) {
    size_t b = 0;
    for (;;) {
      const size_t e = text.find(';', b);
      parts.push_back(text.substr(b, e == std::string::npos ? std::string::npos : e - b));
      if (e == std::string::npos) break;
      b = e + 1;
    }
  }
  for (const std::string& part : parts) {
    if (part.empty()) return "empty label in \"" + text + "\" (labels are separated by single ';')";
    if (std::string problem = LabelProblem(part); !problem.empty()) return "label \"" + part + "\" " + problem;
  }
  *labels = MakeLabelSet(std::move(parts));
  return std::nullopt;
}

// One row of a task log as a task, checked by the rules the scenario's own
// values follow (times within kMaxAnyDuration, accounts defined, labels), so
// that the error names the row rather than the scenario's `file:` line.
std::optional<RowProblem> ReadReplayRow(const std::vector<std::string>& fields, const std::vector<AccountSpec>& accounts,
                                        ReplayTask* t) {
  auto seconds = [](const std::string& text) -> std::optional<Duration> {
    if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.back()))) return std::nullopt;
    return ParseDurationText(text);
  };
  const std::string limit = " and at most " + std::to_string(ToMicros(kMaxAnyDuration) / 1000000) +
                            " (36500 days, docs/limits.md)";
  std::optional<Duration> enqueue = seconds(fields[0]);
  if (!enqueue || *enqueue < Duration::zero() || *enqueue > kMaxAnyDuration) {
    return RowProblem{0, "enqueue_s: expected seconds >= 0" + limit + ", got \"" + fields[0] + "\""};
  }
  t->enqueue = *enqueue;
  t->account = fields[1];
  if (t->account.empty()) return RowProblem{1, "account: must not be empty"};
  auto known = std::lower_bound(accounts.begin(), accounts.end(), t->account,
                                [](const AccountSpec& a, const std::string& id) { return a.id < id; });
  if (known == accounts.end() || known->id != t->account) {
    return RowProblem{1, "account: \"" + t->account + "\" is not defined under accounts"};
  }
  if (std::optional<std::string> bad = ReadLogLabels(fields[2], &t->base_labels)) {
    return RowProblem{2, "base_labels: " + *bad};
  }
  if (std::optional<std::string> bad = ReadLogLabels(fields[3], &t->provisionable_labels)) {
    return RowProblem{3, "provisionable_labels: " + *bad};
  }
  std::optional<Duration> duration = seconds(fields[4]);
  if (!duration || *duration <= Duration::zero() || *duration > kMaxAnyDuration) {
    return RowProblem{4, "duration_s: expected seconds > 0" + limit + ", got \"" + fields[4] + "\""};
  }
  t->duration = *duration;
  return std::nullopt;
}

Status Loader::ReadReplay(const YAML::Node& at, const std::string& path, const Scenario& s, ArrivalSpec* a) const {
  a->resolved_file = a->file;
  if (!a->file.empty() && a->file[0] != '/' && !base_dir_.empty()) a->resolved_file = base_dir_ + "/" + a->file;
  // Absolute, so the resolved scenario in a run folder still finds the log.
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(a->resolved_file, ec);
  if (!ec) a->resolved_file = abs.lexically_normal().string();
  static constexpr std::string_view kHeader = "enqueue_s,account,base_labels,provisionable_labels,duration_s";
  static constexpr std::string_view kRunningOn = ",running_on";  // an optional last column
  auto error_at = [&](int line, int column, const std::string& msg) {
    return InvalidArgument(a->resolved_file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
                           path + ": " + msg);
  };
  if (Status file = CheckInputFile(a->resolved_file, kMaxReplayFileBytes, "replay log"); !file.ok()) {
    if (file.code() == StatusCode::kNotFound) {
      return Error(at, path, "cannot open replay file \"" + a->resolved_file + "\"");
    }
    return Error(at, path, file.message());
  }
  StatusOr<runfolder::CsvReader> reader = runfolder::CsvReader::Open(a->resolved_file, {.skip_blank_lines = true});
  if (!reader.ok() && reader.status().code() == StatusCode::kNotFound) {
    return Error(at, path, "cannot open replay file \"" + a->resolved_file + "\"");
  }
  if (!reader.ok()) return reader.status();  // located: file:line: what
  std::string header;
  for (const std::string& h : reader->header()) header += (header.empty() ? "" : ",") + h;
  const bool running_on = header == std::string(kHeader) + std::string(kRunningOn);
  if (header != kHeader && !running_on) {
    return error_at(1, 1, "expected the header \"" + std::string(kHeader) + "\" (optionally with \"" +
                              std::string(kRunningOn) + "\" at the end)");
  }
  a->replay.clear();
  std::map<std::string, int> taken;  // running_on bot -> the line of the task on it
  for (;;) {
    StatusOr<bool> more = reader->Next();
    if (!more.ok()) return more.status();
    if (!*more) break;
    const std::vector<std::string>& fields = reader->row();
    auto row_error = [&](size_t field, const std::string& msg) {
      auto [line, column] = reader->FieldPosition(field);
      return error_at(line, column, msg);
    };
    if (a->replay.size() >= static_cast<size_t>(kMaxTasks)) {
      return row_error(0, "the log holds more than " + std::to_string(kMaxTasks) + " tasks (docs/limits.md)");
    }
    ReplayTask t;
    if (std::optional<RowProblem> bad = ReadReplayRow(fields, s.accounts, &t)) return row_error(bad->field, bad->message);
    if (running_on && !fields[5].empty()) {
      t.running_on = fields[5];
      if (Check c = RunningOnProblem(s.bots, t, path)) return row_error(5, "running_on: " + c->message);
      auto [it, inserted] = taken.emplace(t.running_on, reader->row_line());
      if (!inserted) {
        return row_error(5, "running_on: bot \"" + t.running_on + "\" already runs the task of line " +
                                std::to_string(it->second) + " (one task per bot)");
      }
    }
    a->replay.push_back(std::move(t));
  }
  std::stable_sort(a->replay.begin(), a->replay.end(),
                   [](const ReplayTask& x, const ReplayTask& y) { return x.enqueue < y.enqueue; });
  return Status::Ok();
}

Status Loader::ReadArrivals(const YAML::Node& v, const std::string& path, const Scenario& s,
                            ArrivalSpec* a) const {
  if (!v.IsMap()) return Error(v, path, "expected a mapping with `kind:`, got " + Describe(v));
  QSIM_RETURN_IF_ERROR(Require(v, "kind", path));
  std::string kind;
  QSIM_RETURN_IF_ERROR(ReadString(v, "kind", path, &kind));
  if (kind == "poisson") {
    a->kind = ArrivalSpec::Kind::kPoisson;
    QSIM_RETURN_IF_ERROR(CheckMap(v, path, {"kind", "rate_per_hour"}));
    QSIM_RETURN_IF_ERROR(Require(v, "rate_per_hour", path));
    return ReadDouble(v, "rate_per_hour", path, &a->rate_per_hour);
  }
  if (kind == "schedule") {
    a->kind = ArrivalSpec::Kind::kSchedule;
    QSIM_RETURN_IF_ERROR(CheckMap(v, path,
                                  {"kind", "rate_per_hour", "diurnal_amplitude", "diurnal_peak", "bursts",
                                   "hour_factors", "weekday_factors", "week_offset"}));
    QSIM_RETURN_IF_ERROR(ReadDouble(v, "rate_per_hour", path, &a->rate_per_hour));
    QSIM_RETURN_IF_ERROR(ReadDouble(v, "diurnal_amplitude", path, &a->diurnal_amplitude));
    QSIM_RETURN_IF_ERROR(ReadDuration(v, "diurnal_peak", path, &a->diurnal_peak));
    QSIM_RETURN_IF_ERROR(ReadFactors(v, "hour_factors", 24, path, &a->hour_factors));
    QSIM_RETURN_IF_ERROR(ReadFactors(v, "weekday_factors", 7, path, &a->weekday_factors));
    QSIM_RETURN_IF_ERROR(ReadDuration(v, "week_offset", path, &a->week_offset));
    if (YAML::Node b = v["bursts"]; b.IsDefined()) {
      std::string p = JoinKey(path, "bursts");
      if (!b.IsSequence()) return Error(b, p, "expected a list, got " + Describe(b));
      for (size_t i = 0; i < b.size(); ++i) {
        std::string bp = IndexKey(p, i);
        Burst burst;
        QSIM_RETURN_IF_ERROR(CheckMap(b[i], bp, {"at", "count", "over"}));
        QSIM_RETURN_IF_ERROR(Require(b[i], "at", bp));
        QSIM_RETURN_IF_ERROR(Require(b[i], "count", bp));
        QSIM_RETURN_IF_ERROR(ReadDuration(b[i], "at", bp, &burst.at));
        QSIM_RETURN_IF_ERROR(ReadInt(b[i], "count", bp, &burst.count));
        QSIM_RETURN_IF_ERROR(ReadDuration(b[i], "over", bp, &burst.over));
        a->bursts.push_back(burst);
      }
    }
    return Status::Ok();
  }
  if (kind == "list") {
    a->kind = ArrivalSpec::Kind::kList;
    QSIM_RETURN_IF_ERROR(CheckMap(v, path, {"kind", "times"}));
    QSIM_RETURN_IF_ERROR(Require(v, "times", path));
    YAML::Node t = v["times"];
    std::string p = JoinKey(path, "times");
    if (!t.IsSequence()) return Error(t, p, "expected a list of durations, got " + Describe(t));
    for (size_t i = 0; i < t.size(); ++i) {
      Duration d{};
      QSIM_RETURN_IF_ERROR(ReadDuration(t[i], IndexKey(p, i), &d));
      a->times.push_back(d);
    }
    std::stable_sort(a->times.begin(), a->times.end());
    return Status::Ok();
  }
  if (kind == "replay") {
    a->kind = ArrivalSpec::Kind::kReplay;
    QSIM_RETURN_IF_ERROR(CheckMap(v, path, {"kind", "file", "duration_from"}));
    QSIM_RETURN_IF_ERROR(Require(v, "file", path));
    QSIM_RETURN_IF_ERROR(ReadString(v, "file", path, &a->file));
    std::string from = "start";
    QSIM_RETURN_IF_ERROR(ReadString(v, "duration_from", path, &from));
    if (from != "start" && from != "assignment") {
      return Error(v["duration_from"], JoinKey(path, "duration_from"),
                   "expected start or assignment, got \"" + from + "\"");
    }
    a->duration_from_assignment = from == "assignment";
    return ReadReplay(v["file"], JoinKey(path, "file"), s, a);
  }
  return Error(v["kind"], JoinKey(path, "kind"),
               "unknown arrival kind \"" + kind + "\" (expected poisson, schedule, list or replay)");
}

Status Loader::ReadWorkload(const YAML::Node& v, const std::string& path, const Scenario& s,
                            WorkloadSpec* w) const {
  QSIM_RETURN_IF_ERROR(CheckMap(v, path,
                                {"name", "account", "base_labels", "provisionable_labels", "tags", "arrivals",
                                 "duration", "cancel"}));
  QSIM_RETURN_IF_ERROR(ReadString(v, "name", path, &w->name));
  QSIM_RETURN_IF_ERROR(ReadString(v, "account", path, &w->account));
  QSIM_RETURN_IF_ERROR(ReadLabels(v, "base_labels", path, &w->base_labels));
  QSIM_RETURN_IF_ERROR(ReadLabels(v, "provisionable_labels", path, &w->provisionable_labels));
  QSIM_RETURN_IF_ERROR(ReadStringList(v, "tags", path, &w->tags));
  QSIM_RETURN_IF_ERROR(Require(v, "arrivals", path));
  QSIM_RETURN_IF_ERROR(ReadArrivals(v["arrivals"], JoinKey(path, "arrivals"), s, &w->arrivals));
  bool replay = w->arrivals.kind == ArrivalSpec::Kind::kReplay;
  if (!replay) {
    QSIM_RETURN_IF_ERROR(Require(v, "account", path));
    QSIM_RETURN_IF_ERROR(Require(v, "duration", path));
  } else if (v["duration"].IsDefined() || v["account"].IsDefined()) {
    const char* k = v["account"].IsDefined() ? "account" : "duration";
    return Error(v[k], JoinKey(path, k), "not allowed with replay arrivals (the task log gives it)");
  }
  if (v["duration"].IsDefined()) {
    QSIM_RETURN_IF_ERROR(ReadDist(v["duration"], JoinKey(path, "duration"), &w->duration));
  }
  if (YAML::Node c = v["cancel"]; c.IsDefined()) {
    std::string p = JoinKey(path, "cancel");
    QSIM_RETURN_IF_ERROR(CheckMap(c, p, {"fraction", "after"}));
    QSIM_RETURN_IF_ERROR(ReadDouble(c, "fraction", p, &w->cancel_fraction));
    QSIM_RETURN_IF_ERROR(ReadDuration(c, "after", p, &w->cancel_after));
  }
  return Status::Ok();
}

Status Loader::ReadBotGroup(const YAML::Node& v, const std::string& path, BotGroupSpec* g) const {
  QSIM_RETURN_IF_ERROR(CheckMap(v, path,
                                {"group", "count", "labels", "provisionable_labels", "poll_interval",
                                 "provision_time", "abort_time", "label_changes", "joins_at", "leaves_at"}));
  QSIM_RETURN_IF_ERROR(Require(v, "group", path));
  QSIM_RETURN_IF_ERROR(Require(v, "count", path));
  QSIM_RETURN_IF_ERROR(ReadString(v, "group", path, &g->name));
  QSIM_RETURN_IF_ERROR(ReadInt(v, "count", path, &g->count));
  QSIM_RETURN_IF_ERROR(ReadLabels(v, "labels", path, &g->labels));
  QSIM_RETURN_IF_ERROR(ReadLabels(v, "provisionable_labels", path, &g->provisionable_labels));
  QSIM_RETURN_IF_ERROR(ReadDuration(v, "poll_interval", path, &g->poll_interval));
  QSIM_RETURN_IF_ERROR(ReadDuration(v, "provision_time", path, &g->provision_time));
  QSIM_RETURN_IF_ERROR(ReadDuration(v, "abort_time", path, &g->abort_time));
  QSIM_RETURN_IF_ERROR(ReadDuration(v, "joins_at", path, &g->joins_at));
  if (v["leaves_at"].IsDefined()) {
    Duration leaves{};
    QSIM_RETURN_IF_ERROR(ReadDuration(v, "leaves_at", path, &leaves));
    g->leaves_at = leaves;
  }
  if (YAML::Node lc = v["label_changes"]; lc.IsDefined()) {
    std::string p = JoinKey(path, "label_changes");
    if (!lc.IsSequence()) return Error(lc, p, "expected a list, got " + Describe(lc));
    for (size_t i = 0; i < lc.size(); ++i) {
      std::string cp = IndexKey(p, i);
      LabelChange c;
      QSIM_RETURN_IF_ERROR(CheckMap(lc[i], cp, {"at", "labels", "provisionable_labels"}));
      QSIM_RETURN_IF_ERROR(Require(lc[i], "at", cp));
      QSIM_RETURN_IF_ERROR(Require(lc[i], "labels", cp));
      QSIM_RETURN_IF_ERROR(ReadDuration(lc[i], "at", cp, &c.at));
      QSIM_RETURN_IF_ERROR(ReadLabels(lc[i], "labels", cp, &c.labels));
      if (lc[i]["provisionable_labels"].IsDefined()) {
        LabelSet prov;
        QSIM_RETURN_IF_ERROR(ReadLabels(lc[i], "provisionable_labels", cp, &prov));
        c.provisionable_labels = prov;
      }
      g->label_changes.push_back(std::move(c));
    }
  }
  return Status::Ok();
}

Status Loader::ReadDispatcher(const YAML::Node& v, const std::string& path, DispatcherSpec* d) const {
  QSIM_RETURN_IF_ERROR(CheckMap(v, path,
                                {"batch_window", "long_poll", "cancellation_poll_interval", "renotify_interval",
                                 "bot_death_timeout", "preempted", "bot_death_retries"}));
  QSIM_RETURN_IF_ERROR(ReadDuration(v, "batch_window", path, &d->batch_window));
  QSIM_RETURN_IF_ERROR(ReadBool(v, "long_poll", path, &d->long_poll));
  QSIM_RETURN_IF_ERROR(ReadDuration(v, "cancellation_poll_interval", path, &d->cancellation_poll_interval));
  QSIM_RETURN_IF_ERROR(ReadDuration(v, "renotify_interval", path, &d->renotify_interval));
  QSIM_RETURN_IF_ERROR(ReadDuration(v, "bot_death_timeout", path, &d->bot_death_timeout));
  if (YAML::Node p = v["preempted"]; p.IsDefined()) {
    std::string s;
    QSIM_RETURN_IF_ERROR(ReadString(v, "preempted", path, &s));
    if (s == "requeue") d->preempted = DispatcherSpec::Preempted::kRequeue;
    else if (s == "fail") d->preempted = DispatcherSpec::Preempted::kFail;
    else return Error(p, JoinKey(path, "preempted"), "expected requeue or fail, got \"" + s + "\"");
  }
  return ReadInt(v, "bot_death_retries", path, &d->bot_death_retries);
}

Status Loader::ReadOutage(const YAML::Node& v, const std::string& path, OutageSpec* o) const {
  QSIM_RETURN_IF_ERROR(CheckMap(v, path, {"rate_per_bot_day", "downtime", "scheduled"}));
  QSIM_RETURN_IF_ERROR(ReadDouble(v, "rate_per_bot_day", path, &o->rate_per_bot_day));
  if (v["downtime"].IsDefined()) QSIM_RETURN_IF_ERROR(ReadDist(v["downtime"], JoinKey(path, "downtime"), &o->downtime));
  if (YAML::Node s = v["scheduled"]; s.IsDefined()) {
    std::string p = JoinKey(path, "scheduled");
    if (!s.IsSequence()) return Error(s, p, "expected a list, got " + Describe(s));
    for (size_t i = 0; i < s.size(); ++i) {
      std::string sp = IndexKey(p, i);
      ScheduledOutage so;
      QSIM_RETURN_IF_ERROR(CheckMap(s[i], sp, {"at", "group", "count", "downtime"}));
      for (const char* k : {"at", "group", "count", "downtime"}) QSIM_RETURN_IF_ERROR(Require(s[i], k, sp));
      QSIM_RETURN_IF_ERROR(ReadDuration(s[i], "at", sp, &so.at));
      QSIM_RETURN_IF_ERROR(ReadString(s[i], "group", sp, &so.group));
      QSIM_RETURN_IF_ERROR(ReadInt(s[i], "count", sp, &so.count));
      QSIM_RETURN_IF_ERROR(ReadDuration(s[i], "downtime", sp, &so.downtime));
      o->scheduled.push_back(so);
    }
  }
  return Status::Ok();
}

Status Loader::ReadFaults(const YAML::Node& v, const std::string& path, FaultsSpec* f) const {
  QSIM_RETURN_IF_ERROR(CheckMap(v, path,
                                {"lost_acks", "lost_assignments", "delayed_notifications", "task_errors",
                                 "bot_deaths", "bot_flaps", "scheduler_restarts"}));
  auto probability = [&](const char* key, double* out, std::initializer_list<std::string_view> extra) -> Status {
    YAML::Node n = v[key];
    if (!n.IsDefined()) return Status::Ok();
    std::string p = JoinKey(path, key);
    std::vector<std::string_view> allowed{"probability"};
    allowed.insert(allowed.end(), extra.begin(), extra.end());
    if (!n.IsMap()) return Error(n, p, "expected a mapping, got " + Describe(n));
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (std::find(allowed.begin(), allowed.end(), it->first.Scalar()) == allowed.end()) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        return Error(it->first, JoinKey(p, it->first.Scalar()), "unknown key (expected one of: " + list + ")");
      }
    }
    QSIM_RETURN_IF_ERROR(Require(n, "probability", p));
    return ReadDouble(n, "probability", p, out);
  };
  QSIM_RETURN_IF_ERROR(probability("lost_acks", &f->lost_ack_probability, {}));
  QSIM_RETURN_IF_ERROR(probability("lost_assignments", &f->lost_assignment_probability, {}));
  QSIM_RETURN_IF_ERROR(probability("delayed_notifications", &f->delay_probability, {"delay"}));
  if (YAML::Node d = v["delayed_notifications"]; d.IsDefined()) {
    std::string p = JoinKey(path, "delayed_notifications");
    QSIM_RETURN_IF_ERROR(Require(d, "delay", p));
    QSIM_RETURN_IF_ERROR(ReadDist(d["delay"], JoinKey(p, "delay"), &f->delay));
  }
  QSIM_RETURN_IF_ERROR(probability("task_errors", &f->task_error_probability, {"after"}));
  if (YAML::Node d = v["task_errors"]; d.IsDefined()) {
    QSIM_RETURN_IF_ERROR(ReadDuration(d, "after", JoinKey(path, "task_errors"), &f->task_error_after));
  }
  if (v["bot_deaths"].IsDefined()) QSIM_RETURN_IF_ERROR(ReadOutage(v["bot_deaths"], JoinKey(path, "bot_deaths"), &f->bot_deaths));
  if (v["bot_flaps"].IsDefined()) QSIM_RETURN_IF_ERROR(ReadOutage(v["bot_flaps"], JoinKey(path, "bot_flaps"), &f->bot_flaps));
  if (YAML::Node r = v["scheduler_restarts"]; r.IsDefined()) {
    std::string p = JoinKey(path, "scheduler_restarts");
    QSIM_RETURN_IF_ERROR(CheckMap(r, p, {"at", "every"}));
    if (YAML::Node at = r["at"]; at.IsDefined()) {
      std::string ap = JoinKey(p, "at");
      if (!at.IsSequence()) return Error(at, ap, "expected a list of durations, got " + Describe(at));
      for (size_t i = 0; i < at.size(); ++i) {
        Duration d{};
        QSIM_RETURN_IF_ERROR(ReadDuration(at[i], IndexKey(ap, i), &d));
        f->restart_at.push_back(d);
      }
      std::sort(f->restart_at.begin(), f->restart_at.end());
    }
    QSIM_RETURN_IF_ERROR(ReadDuration(r, "every", p, &f->restart_every));
  }
  return Status::Ok();
}

// The node at `path` ("workloads[0].arrivals.rate_per_hour") under `root`,
// or its nearest ancestor present in the file (a defaulted key has no node).
// Map keys may hold dots: the longest key the path continues with wins.
YAML::Node FindNode(const YAML::Node& root, const std::string& path) {
  YAML::Node cur;
  cur.reset(root);  // reset, never operator=: assigning a Node writes into the tree
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
    } else if (path[i] == '[') {
      size_t close = path.find(']', i);
      size_t index = 0;
      auto r = std::from_chars(path.data() + i + 1, path.data() + std::min(close, path.size()), index);
      if (close == std::string::npos || r.ec != std::errc() || !cur.IsSequence() || index >= cur.size()) break;
      const YAML::Node& seq = cur;
      cur.reset(seq[index]);
      i = close + 1;
    } else {
      if (!cur.IsMap()) break;
      YAML::Node best;
      size_t best_len = 0;
      for (auto it = cur.begin(); it != cur.end(); ++it) {
        if (!it->first.IsScalar()) continue;
        const std::string& key = it->first.Scalar();
        size_t end = i + key.size();
        if (key.size() > best_len && path.compare(i, key.size(), key) == 0 &&
            (end == path.size() || path[end] == '.' || path[end] == '[')) {
          best.reset(it->second);
          best_len = key.size();
        }
      }
      if (best_len == 0) break;
      cur.reset(best);
      i += best_len;
    }
  }
  return cur;
}

Status Loader::Located(const YAML::Node& root, const Check& problem) const {
  if (!problem) return Status::Ok();
  return Error(FindNode(root, problem->path), problem->path, problem->message);
}

Status Loader::ReadRunLength(const YAML::Node& root, Scenario* s) const {
  QSIM_RETURN_IF_ERROR(ReadString(root, "name", "", &s->name));
  QSIM_RETURN_IF_ERROR(ReadString(root, "description", "", &s->description));
  int64_t seed = static_cast<int64_t>(s->seed);
  QSIM_RETURN_IF_ERROR(ReadInt(root, "seed", "", &seed, 0));
  s->seed = static_cast<uint64_t>(seed);
  QSIM_RETURN_IF_ERROR(Require(root, "duration", ""));
  QSIM_RETURN_IF_ERROR(ReadDuration(root, "duration", "", &s->duration));
  QSIM_RETURN_IF_ERROR(ReadDuration(root, "warmup", "", &s->warmup));
  QSIM_RETURN_IF_ERROR(ReadDuration(root, "sample_interval", "", &s->sample_interval));
  QSIM_RETURN_IF_ERROR(Located(root, CheckRunLength(*s)));
  if (YAML::Node o = root["outputs"]; o.IsDefined()) {
    if (!o.IsSequence()) return Error(o, "outputs", "expected a list, got " + Describe(o));
    s->outputs = Outputs{false, false};
    for (size_t i = 0; i < o.size(); ++i) {
      std::string name = o[i].IsScalar() ? o[i].Scalar() : "";
      if (name == "timeseries") s->outputs.timeseries = true;
      else if (name == "events") s->outputs.events = true;
      else if (name == "taskevents") s->outputs.taskevents = true;
      else if (name != "tasks" && name != "summary" && name != "waits") {
        return Error(o[i], IndexKey("outputs", i),
                     "expected tasks, summary, waits, timeseries, events or taskevents, got " + Describe(o[i]));
      }
    }
  }
  if (root["policy"].IsDefined()) {
    QSIM_RETURN_IF_ERROR(ReadPolicy(root["policy"], "policy", &s->policy));
    QSIM_RETURN_IF_ERROR(Located(root, CheckPolicy(s->policy)));
  }
  return Status::Ok();
}

Status Loader::ReadAccounts(const YAML::Node& root, Scenario* s) const {
  QSIM_RETURN_IF_ERROR(Require(root, "accounts", ""));
  YAML::Node accounts = root["accounts"];
  if (!accounts.IsMap() || accounts.size() == 0) {
    return Error(accounts, "accounts", "expected a non-empty mapping of account id to settings, got " + Describe(accounts));
  }
  std::set<std::string> ids;
  for (auto it = accounts.begin(); it != accounts.end(); ++it) {
    AccountSpec a;
    std::string p = JoinKey("accounts", it->first.IsScalar() ? it->first.Scalar() : "?");
    QSIM_RETURN_IF_ERROR(ReadAccount(it->first, it->second, p, &a));
    if (!ids.insert(a.id).second) return Error(it->first, p, "duplicate key");
    s->accounts.push_back(std::move(a));
  }
  std::sort(s->accounts.begin(), s->accounts.end(),
            [](const AccountSpec& x, const AccountSpec& y) { return x.id < y.id; });
  for (size_t i = 0; i < s->accounts.size(); ++i) QSIM_RETURN_IF_ERROR(Located(root, CheckAccount(*s, i)));
  return Status::Ok();
}

Status Loader::ReadBots(const YAML::Node& root, Scenario* s) const {
  QSIM_RETURN_IF_ERROR(Require(root, "bots", ""));
  YAML::Node bots = root["bots"];
  if (!bots.IsSequence() || bots.size() == 0) {
    return Error(bots, "bots", "expected a non-empty list of bot groups, got " + Describe(bots));
  }
  for (size_t i = 0; i < bots.size(); ++i) {
    BotGroupSpec g;
    QSIM_RETURN_IF_ERROR(ReadBotGroup(bots[i], IndexKey("bots", i), &g));
    s->bots.push_back(std::move(g));
    QSIM_RETURN_IF_ERROR(Located(root, CheckBotGroup(*s, i)));
  }
  return Status::Ok();
}

Status Loader::ReadWorkloads(const YAML::Node& root, Scenario* s) const {
  YAML::Node w = root["workloads"];
  if (!w.IsDefined()) return Status::Ok();
  if (!w.IsSequence()) return Error(w, "workloads", "expected a list, got " + Describe(w));
  std::map<std::string, int> per_account;
  for (size_t i = 0; i < w.size(); ++i) {
    WorkloadSpec wl;
    QSIM_RETURN_IF_ERROR(ReadWorkload(w[i], IndexKey("workloads", i), *s, &wl));
    if (wl.name.empty()) {
      // Unnamed: the account's id, then id-2, id-3, ...
      std::string base = wl.account.empty() ? "replay" : wl.account;
      int n = ++per_account[base];
      wl.name = n == 1 ? base : base + "-" + std::to_string(n);
    }
    s->workloads.push_back(std::move(wl));
    QSIM_RETURN_IF_ERROR(Located(root, CheckWorkload(*s, i)));
  }
  return Status::Ok();
}

Status Loader::ReadScenario(const YAML::Node& root, Scenario* s) const {
  QSIM_RETURN_IF_ERROR(CheckMap(root, "",
                                {"name", "description", "seed", "duration", "warmup", "sample_interval", "outputs",
                                 "policy", "accounts", "bots", "workloads", "dispatcher", "faults", "expect",
                                 "gate"}));
  QSIM_RETURN_IF_ERROR(ReadRunLength(root, s));
  QSIM_RETURN_IF_ERROR(ReadAccounts(root, s));
  QSIM_RETURN_IF_ERROR(ReadBots(root, s));
  QSIM_RETURN_IF_ERROR(ReadWorkloads(root, s));
  if (root["dispatcher"].IsDefined()) {
    QSIM_RETURN_IF_ERROR(ReadDispatcher(root["dispatcher"], "dispatcher", &s->dispatcher));
    QSIM_RETURN_IF_ERROR(Located(root, CheckDispatcher(s->dispatcher)));
  }
  if (root["faults"].IsDefined()) {
    QSIM_RETURN_IF_ERROR(ReadFaults(root["faults"], "faults", &s->faults));
    QSIM_RETURN_IF_ERROR(Located(root, CheckFaults(*s)));
  }
  for (const char* key : {"expect", "gate"}) {
    if (YAML::Node n = root[key]; n.IsDefined()) {
      YAML::Emitter e;
      e.SetSeqFormat(YAML::Flow);
      e.SetMapFormat(YAML::Flow);
      e << n;
      (std::string(key) == "expect" ? s->expect_yaml : s->gate_yaml) = e.c_str();
    }
  }
  // Every rule once more on the whole: a section's rule may depend on a
  // later one (none does today), and this is what RunScenario will check.
  return Located(root, FindProblem(*s));
}

}  // namespace

Status CheckStrictYaml(const std::string& text, const std::string& file) {
  if (text.size() > static_cast<size_t>(kMaxScenarioFileBytes)) {
    return InvalidArgument(file + ": the scenario is " + FormatBytes(static_cast<int64_t>(text.size())) +
                           ", more than the limit of " + FormatBytes(kMaxScenarioFileBytes) + " (docs/limits.md)");
  }
  return strict_yaml::CheckStrictYaml(text, file);
}

StatusOr<Scenario> ParseScenario(const std::string& text, const std::string& file, const std::string& base_dir) {
  Loader loader(file, base_dir);
  // The strict pass first: nothing is built before it has passed.
  QSIM_RETURN_IF_ERROR(CheckStrictYaml(text, file));
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return loader.ErrorAt(e.mark, "", "invalid YAML: " + e.msg);
  }
  if (!root.IsMap()) return loader.Error(root, "", "expected a mapping at the top level, got " + Describe(root));
  Scenario s;
  s.source_path = file;
  try {
    QSIM_RETURN_IF_ERROR(loader.ReadScenario(root, &s));
    if (s.name.empty()) {
      // Unnamed: the file's stem names it (and its default output folder).
      size_t slash = file.find_last_of('/');
      std::string stem = slash == std::string::npos ? file : file.substr(slash + 1);
      s.name = SafeName(stem.substr(0, stem.find('.')));
    }
  } catch (const YAML::Exception& e) {
    return loader.ErrorAt(e.mark, "", e.msg);
  }
  return s;
}

StatusOr<Scenario> LoadScenarioFile(const std::string& path) {
  QSIM_RETURN_IF_ERROR(CheckInputFile(path, kMaxScenarioFileBytes, "scenario"));
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(path + ": cannot open file");
  std::stringstream ss;
  ss << in.rdbuf();
  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  if (dir.empty()) dir = "/";
  return ParseScenario(ss.str(), path, dir);
}

std::optional<Duration> ParseDuration(std::string_view text) { return ParseDurationText(text); }

}  // namespace qsim::sim
