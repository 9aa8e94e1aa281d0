// taskevents.jsonl: the run's scheduler events as production TaskEvent rows
// (proto/production.proto), one JSON object per line with proto field
// names, RFC 3339 times and enum names: the shape of a BigQuery export of the
// production table, so its queries run on a simulated run and `qsim import`
// reads it back (docs/run-folder.md, docs/production-data.md). Written only
// when asked for (`--outputs taskevents`); internal to sim/.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "base/status.h"
#include "scheduler/events.h"

namespace qsim::sim {

class TaskEventWriter {
 public:
  // Opens `path` (through a .part file renamed by Close). `scheduler_id`
  // goes on every row (the scenario's name).
  static StatusOr<std::unique_ptr<TaskEventWriter>> Open(const std::string& path, std::string scheduler_id);
  ~TaskEventWriter();
  TaskEventWriter(const TaskEventWriter&) = delete;
  TaskEventWriter& operator=(const TaskEventWriter&) = delete;

  void Write(const TaskEvent& event);
  // Flushes and renames the file into place; IoError if any write failed.
  Status Close();

 private:
  TaskEventWriter(std::FILE* f, std::string temp_path, std::string path, std::string scheduler_id);

  std::FILE* f_;
  std::string temp_path_, path_, scheduler_id_;
  std::string line_;  // reused for every row
  int error_ = 0;     // errno of the first failed write
};

}  // namespace qsim::sim
