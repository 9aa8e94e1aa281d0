// Reading a run folder (the run-folder contract in reports/README.md) into
// plain values for the report and compare code.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "runfolder/csv.h"

namespace qsim::reports {

// summary.csv: one row per account, then "*" for the whole fleet.
struct RunSummary {
  std::vector<std::string> metrics;   // every column but "account", in file order
  std::vector<std::string> accounts;  // in file order
  // values[account][metric]; nullopt = empty field (did not happen).
  std::map<std::string, std::map<std::string, std::optional<double>>> values;

  // nullopt when the account or metric is absent or the field was empty.
  std::optional<double> Get(const std::string& account, const std::string& metric) const;
  bool HasAccount(const std::string& account) const { return values.count(account) > 0; }
};

StatusOr<RunSummary> ReadRunSummary(const std::string& run_dir);

// timeseries.csv by series. Samples missing from a series read as 0.
struct Timeseries {
  // series -> account -> time (s) -> value, summed over priorities; queued,
  // running, and the fleet's bots_idle, bots_busy, bots_dead (account "").
  std::map<std::string, std::map<std::string, std::map<double, double>>> totals;
  // account -> priority ("0".."4") -> time (s) -> balance in bot-seconds.
  std::map<std::string, std::map<std::string, std::map<double, double>>> balances;
  std::vector<double> times;  // every sample time, ascending
  double max_time = 0;
};
StatusOr<Timeseries> LoadTimeseries(const std::string& path);

// Parses the numeric field `column` of row `row` (0-based data row) of
// `table`; the error says file:line: column.
StatusOr<std::optional<double>> NumberAt(const runfolder::CsvTable& table, size_t row, int column);

// A file of the run folder: `run_dir/name`.
std::string RunFile(const std::string& run_dir, std::string_view name);

// True when `path` names an existing regular file.
bool FileExists(const std::string& path);

}  // namespace qsim::reports
