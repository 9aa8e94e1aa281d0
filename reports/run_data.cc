#include "reports/run_data.h"

#include <algorithm>
#include <cmath>

#include <sys/stat.h>

#include "runfolder/columns.h"
#include "runfolder/manifest.h"

namespace qsim::reports {

std::optional<double> RunSummary::Get(const std::string& account, const std::string& metric) const {
  auto a = values.find(account);
  if (a == values.end()) return std::nullopt;
  auto m = a->second.find(metric);
  if (m == a->second.end()) return std::nullopt;
  return m->second;
}

std::string RunFile(const std::string& run_dir, std::string_view name) {
  if (run_dir.empty() || run_dir.back() == '/') return run_dir + std::string(name);
  return run_dir + "/" + std::string(name);
}

bool FileExists(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

StatusOr<std::optional<double>> NumberAt(const runfolder::CsvTable& table, size_t row, int column) {
  StatusOr<std::optional<double>> value = runfolder::ParseNumberField(table.rows[row][column]);
  if (!value.ok()) {
    return InvalidArgument(table.path + ":" + std::to_string(row + 2) + ": column " +
                           table.header[column] + ": " + value.status().message());
  }
  return value;
}

StatusOr<Timeseries> LoadTimeseries(const std::string& path) {
  StatusOr<runfolder::CsvTable> table = runfolder::ReadCsvFile(path);
  if (!table.ok()) return table.status();
  // Column names checked against the writer's list at compile time.
  constexpr std::string_view kTimeS = runfolder::Column(runfolder::kTimeseriesColumns, "time_s");
  constexpr std::string_view kSeries = runfolder::Column(runfolder::kTimeseriesColumns, "series");
  constexpr std::string_view kAccount = runfolder::Column(runfolder::kTimeseriesColumns, "account");
  constexpr std::string_view kPriority = runfolder::Column(runfolder::kTimeseriesColumns, "priority");
  constexpr std::string_view kValue = runfolder::Column(runfolder::kTimeseriesColumns, "value");
  QSIM_RETURN_IF_ERROR(table->RequireColumns({kTimeS, kSeries, kAccount, kPriority, kValue}));
  int c_time = table->Column(kTimeS), c_series = table->Column(kSeries);
  int c_account = table->Column(kAccount), c_priority = table->Column(kPriority);
  int c_value = table->Column(kValue);
  Timeseries ts;
  for (size_t r = 0; r < table->rows.size(); ++r) {
    StatusOr<std::optional<double>> time = NumberAt(*table, r, c_time);
    if (!time.ok()) return time.status();
    StatusOr<std::optional<double>> value = NumberAt(*table, r, c_value);
    if (!value.ok()) return value.status();
    if (!*time || !*value) continue;
    const auto& row = table->rows[r];
    ts.max_time = std::max(ts.max_time, **time);
    if (ts.times.empty() || ts.times.back() != **time) ts.times.push_back(**time);
    if (row[c_series] == "balance") {
      ts.balances[row[c_account]][row[c_priority]][**time] = **value;
    } else {
      ts.totals[row[c_series]][row[c_account]][**time] += **value;
    }
  }
  std::sort(ts.times.begin(), ts.times.end());
  ts.times.erase(std::unique(ts.times.begin(), ts.times.end()), ts.times.end());
  return ts;
}


StatusOr<RunSummary> ReadRunSummary(const std::string& run_dir) {
  // An interrupted or mixed folder is refused here, for every reader.
  QSIM_RETURN_IF_ERROR(runfolder::RequireCompleteRunFolder(run_dir));
  StatusOr<runfolder::CsvTable> table = runfolder::ReadCsvFile(RunFile(run_dir, runfolder::kSummaryFile));
  if (!table.ok()) return table.status();
  // The contract's columns, in its order: a renamed or missing column is a
  // file that another tool (or another version) wrote, not one to guess at.
  const auto& expected = runfolder::kSummaryColumns;
  for (size_t c = 0; c < expected.size(); ++c) {
    if (c >= table->header.size() || table->header[c] != expected[c]) {
      return InvalidArgument(table->path + ":1: column " + std::to_string(c + 1) + " should be \"" +
                             std::string(expected[c]) + "\", got \"" +
                             (c < table->header.size() ? table->header[c] : std::string()) + "\"");
    }
  }
  int account_column = table->Column("account");
  RunSummary summary;
  for (size_t c = 0; c < table->header.size(); ++c) {
    if (static_cast<int>(c) != account_column) summary.metrics.push_back(table->header[c]);
  }
  for (size_t r = 0; r < table->rows.size(); ++r) {
    const std::string& account = table->rows[r][account_column];
    if (summary.values.count(account) > 0) {
      return InvalidArgument(table->path + ":" + std::to_string(r + 2) + ": account \"" + account +
                             "\" appears twice");
    }
    summary.accounts.push_back(account);
    auto& row = summary.values[account];
    for (size_t c = 0; c < table->header.size(); ++c) {
      if (static_cast<int>(c) == account_column) continue;
      StatusOr<std::optional<double>> value = NumberAt(*table, r, static_cast<int>(c));
      if (!value.ok()) return value.status();
      if (*value && !std::isfinite(**value)) {
        return InvalidArgument(table->path + ":" + std::to_string(r + 2) + ": column " + table->header[c] +
                               ": expected a finite number, got \"" + table->rows[r][c] + "\"");
      }
      row[table->header[c]] = *value;
    }
  }
  return summary;
}

}  // namespace qsim::reports
