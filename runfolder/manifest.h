// run.json, the run folder's own record of what wrote it and whether it is
// whole, and the checks readers make before trusting a folder.
//
// `qsim run` writes run.json first, saying "incomplete" and listing the files
// the run will own, writes those files (each whole or not at all, files.h),
// and rewrites run.json last, saying "complete". A folder whose run.json says
// incomplete was interrupted or failed; a file present that run.json does not
// list, or a listed file that is missing, makes a mixed folder. Readers
// (report, compare, sweep, check) refuse both; a folder without run.json is
// an older qsim's (or a hand-made one): readers say so and go on.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace qsim::runfolder {

inline constexpr std::string_view kManifestFile = "run.json";

enum class RunStatus { kIncomplete, kComplete };

struct RunManifest {
  RunStatus status = RunStatus::kIncomplete;
  std::string qsim_version;               // as the application reports it (`git describe`)
  std::string scenario_hash;              // ScenarioHash(scenario.resolved.yaml)
  uint64_t seed = 0;
  int64_t warmup_us = 0;                  // summary.csv counts the tasks enqueued at or after this
  std::vector<std::string> command_line;  // argv, as given
  double wall_seconds = 0;                // wall time the run took; 0 while incomplete
  std::vector<std::string> files;         // the files of the folder the run owns, by name, sorted
  // Written by WriteManifest for a complete run (each listed file's size
  // then, report.html aside) and checked by InspectRunFolder.
  std::map<std::string, int64_t> file_bytes;
};

// "fnv1a64:" and 16 hex digits: FNV-1a over the resolved scenario without
// its top-level `seed:` line, so that runs of one scenario on different
// seeds share a hash.
std::string ScenarioHash(std::string_view resolved_yaml);

// run.json's text, and back; errors say `path: ...`.
std::string ManifestJson(const RunManifest& manifest);
StatusOr<RunManifest> ParseManifest(std::string_view text, const std::string& path);

// Writes `dir`/run.json (whole or not at all); for a complete run, with the
// size of each file it lists (file_bytes, measured here).
Status WriteManifest(const std::string& dir, const RunManifest& manifest);
// `dir`/run.json; nullopt when there is none (an old-format folder).
StatusOr<std::optional<RunManifest>> ReadManifest(const std::string& dir);

// Makes `dir` ready for a new run: creates it, or removes what an earlier run
// left there (the files its run.json lists, every file name qsim writes into
// a run folder, and their `.part` files; run.json last). Refuses, with
// InvalidArgument listing them, when `dir` holds anything else: a run never
// mixes its files with files it does not own, and never deletes them.
Status PrepareRunFolder(const std::string& dir);

// What InspectRunFolder found.
struct RunFolderCheck {
  bool has_manifest = false;          // false: an old-format folder, not checked
  std::vector<std::string> problems;  // empty: complete and consistent
};

// Checks `dir` against its run.json: status complete; every listed file
// present and nothing else (report.html, which `qsim report` rewrites, is
// allowed either way); tasks.csv's measured rows as many as summary.csv's
// `tasks` of `*`. A `dir` that is no folder is reported as one without a
// run.json (the reader then fails on the file it needs). Errors: only when
// `dir` cannot be listed.
StatusOr<RunFolderCheck> InspectRunFolder(const std::string& dir);

// For readers: an error (DataLoss, exit 2) naming `dir` and every problem
// when the folder is incomplete or mixed. An old-format folder is accepted
// and `*warning` (when given) says it was not checked; else it is cleared.
Status RequireCompleteRunFolder(const std::string& dir, std::string* warning = nullptr);

// For a reader that has read a folder's files without finding anything
// wrong: an error (DataLoss, exit 2) naming each file whose size differs from
// the size run.json recorded when the run completed, so that a file cut
// inside its last field (every row still whole) does not pass for the run's.
// Readers check content first, so that damage they can locate (a row cut
// short, a bad number) is reported at its line. No run.json: Ok.
Status RequireRecordedSizes(const std::string& dir);

// "" when `dir` has a run.json; else a warning naming `dir` for a reader to
// print (an old-format folder, whose completeness cannot be checked).
std::string OldFormatWarning(const std::string& dir);

// InvalidArgument when `out_dir` is, after resolving links and `..`, one of
// `inputs`: a command must not write its output over what it reads.
Status RequireOutputNotAnInput(const std::string& out_dir, const std::vector<std::string>& inputs);

}  // namespace qsim::runfolder
