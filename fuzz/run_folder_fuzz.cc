// Fuzz target: the reports' readers of a run folder's summary.csv
// (ReadRunSummary) and tasks.csv (ReadTaskWaits). They read files only, so
// the input is written into a folder of this process first: the bytes before
// the first form feed (\f) as summary.csv, the rest as tasks.csv. The
// waits read go through CdfSeries, as the report's charts do.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "fuzz/fuzz_target.h"
#include "reports/charts.h"
#include "reports/run_data.h"

namespace {

void WriteFile(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  FUZZ_REQUIRE(static_cast<bool>(out), "cannot write the run folder");
}

// The folder of this process, removed at exit (libFuzzer exits through
// exit() at the end of a run).
std::filesystem::path ScratchDir() {
  return std::filesystem::temp_directory_path() /
         ("qsim-fuzz-run-folder-" + std::to_string(static_cast<long>(getpid())));
}

void RemoveScratch() {
  std::error_code ignored;
  std::filesystem::remove_all(ScratchDir(), ignored);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path dir = [] {
    std::filesystem::path d = ScratchDir();
    std::filesystem::create_directories(d);
    std::atexit([] { RemoveScratch(); });
    return d;
  }();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const size_t split = std::min(bytes.find('\f'), bytes.size());
  WriteFile(dir / "summary.csv", bytes.substr(0, split));
  WriteFile(dir / "tasks.csv", bytes.substr(std::min(split + 1, bytes.size())));

  qsim::StatusOr<qsim::reports::RunSummary> summary = qsim::reports::ReadRunSummary(dir.string());
  if (summary.ok()) {
    for (const std::string& account : summary->accounts) {
      for (const std::string& metric : summary->metrics) (void)summary->Get(account, metric);
    }
  }
  qsim::StatusOr<qsim::reports::TaskWaits> waits = qsim::reports::ReadTaskWaits((dir / "tasks.csv").string());
  if (waits.ok()) {
    for (const auto& [account, values] : waits->by_account) (void)qsim::reports::CdfSeries(account, values, 60);
  }
  return 0;
}
