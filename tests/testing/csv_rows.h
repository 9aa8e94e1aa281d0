// Test helpers over run-folder CSV files: every row as a column -> field map,
// and a field the writer formats as exact seconds read back as microseconds.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "runfolder/csv.h"
#include "runfolder/measured.h"

namespace qsim::testing {

using CsvRows = std::vector<std::map<std::string, std::string>>;

inline CsvRows ReadCsvRows(const std::string& path) {
  CsvRows rows;
  StatusOr<runfolder::CsvReader> r = runfolder::CsvReader::Open(path);
  EXPECT_TRUE(r.ok()) << r.status().message();
  if (!r.ok()) return rows;
  for (;;) {
    StatusOr<bool> more = r->Next();
    EXPECT_TRUE(more.ok());
    if (!more.ok() || !*more) break;
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < r->header().size(); ++i) row[r->header()[i]] = r->row()[i];
    rows.push_back(std::move(row));
  }
  return rows;
}

// "12.000345" as 12000345, through the run folder's own reader of the
// writer's exact format; a field it refuses fails the test.
inline int64_t ExactMicros(const std::string& field) {
  std::optional<int64_t> us = runfolder::ParseMicros(field);
  EXPECT_TRUE(us.has_value()) << "not an exact time: \"" << field << "\"";
  return us.value_or(-1);
}

}  // namespace qsim::testing
