#include "reports/runner.h"

#include "runfolder/files.h"

namespace qsim::reports {

Status RunFailure(const SimRun& run, const SimRunResult& result) {
  std::string message = "the run into " + run.out_dir + " failed (exit " + std::to_string(result.exit_code) +
                        "); its log " + result.log_path + " ends:\n" + LogTail(result.log_path);
  switch (result.exit_code) {
    case 2: return InvalidArgument(message);
    case 4: return Internal(message);
    default: return IoError(message);
  }
}

std::string LogTail(const std::string& log_path, int max_lines) {
  StatusOr<std::string> text = runfolder::ReadTextFile(log_path);
  if (!text.ok()) return "(no log)";
  std::string s = *text;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  size_t pos = s.size();
  for (int i = 0; i < max_lines && pos != std::string::npos && pos > 0; ++i) {
    pos = s.rfind('\n', pos - 1);
  }
  return pos == std::string::npos ? s : s.substr(pos + 1);
}

}  // namespace qsim::reports
