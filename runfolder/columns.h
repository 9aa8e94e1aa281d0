// The files of a run folder and their columns, listed once: the simulator
// writes these headers and reports/ reads by these names. docs/run-folder.md
// says what every column means, its unit and when it is empty.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace qsim::runfolder {

inline constexpr std::string_view kTasksFile = "tasks.csv";
inline constexpr std::string_view kSummaryFile = "summary.csv";
inline constexpr std::string_view kTimeseriesFile = "timeseries.csv";
inline constexpr std::string_view kEventsFile = "events.csv";
inline constexpr std::string_view kWaitsFile = "waits.csv";
inline constexpr std::string_view kResolvedScenarioFile = "scenario.resolved.yaml";
inline constexpr std::string_view kReportFile = "report.html";
// Written only with `--outputs taskevents`: production TaskEvent rows as
// newline-delimited JSON (proto/production.proto), not CSV.
inline constexpr std::string_view kTaskEventsFile = "taskevents.jsonl";
// taskevents.jsonl writes simulated time 0 as 2024-01-01T00:00:00Z (a
// Monday, midnight UTC), so hour-of-day and weekday read naturally.
inline constexpr int64_t kTaskEventsEpochUs = 1704067200LL * 1000000;

// The reasons a task waits, in the order of every file that lists them
// (docs/waits.md defines each).
inline constexpr std::array<std::string_view, 9> kWaitReasons = {
    "not_polled", "capacity", "quota", "throttled", "no_bot", "forgotten", "dispatch", "provision", "lost_runs"};

// One row per task, by id. The last nine split wait_s by reason, in
// kWaitReasons order.
inline constexpr std::array<std::string_view, 23> kTasksColumns = {
    "task",  "account",  "base_labels", "provisionable_labels", "enqueue_s",        "first_assigned_s",
    "start_s", "end_s",  "outcome",     "wait_s",               "times_preempted",  "times_unassigned",
    "provision_needed", "start_priority",
    "wait_not_polled_s", "wait_capacity_s", "wait_quota_s", "wait_throttled_s", "wait_no_bot_s",
    "wait_forgotten_s", "wait_dispatch_s", "wait_provision_s", "lost_runs_s"};
inline constexpr size_t kTasksFirstWaitColumn = 14;

// One row per account by id, then "*" (the whole fleet).
inline constexpr std::array<std::string_view, 25> kSummaryColumns = {
    "account",          "tasks",           "completed",           "preempted",   "failed",
    "cancelled",        "lost",            "unfinished",          "wait_mean_s", "wait_p50_s",
    "wait_p90_s",       "wait_p99_s",      "wait_max_s",          "throughput_per_hour",
    "preemptions",      "wasted_bot_seconds", "busy_bot_seconds", "busy_share",  "charge_share",
    "utilisation",      "timeouts",        "invariant_violations", "same_pass_reassignments",
    "forgotten",        "re_adds"};

// One row per account by id, then "*", and reason (kWaitReasons order), over
// the measured tasks as in summary.csv.
inline constexpr std::array<std::string_view, 5> kWaitsColumns = {"account", "reason", "tasks", "total_s", "share"};

// One row per sample, series and (account, priority).
inline constexpr std::array<std::string_view, 5> kTimeseriesColumns = {"time_s", "series", "account", "priority",
                                                                       "value"};

// One row per scheduler event; `cause` tells first enqueues from re-adds and
// same-pass reassignments from preempted runs.
inline constexpr std::array<std::string_view, 8> kEventsColumns = {"time_s",  "type",     "task",   "bot",
                                                                   "account", "priority", "detail", "cause"};

// `name` when it is one of `columns`; naming any other column is a compile
// error, so a reader cannot ask for a column the writer does not write.
template <size_t N>
consteval std::string_view Column(const std::array<std::string_view, N>& columns, std::string_view name) {
  for (std::string_view c : columns) {
    if (c == name) return c;
  }
  throw "not a column of this file";  // not a constant expression: the call fails to compile
}

}  // namespace qsim::runfolder
