// Fuzz target: the run-folder CSV readers on arbitrary text, the streaming
// CsvReader (every row, every field's position and number) and the
// whole-table ParseCsv. Errors are values; rows are as wide as the header.
#include <string>
#include <string_view>

#include "fuzz/fuzz_target.h"
#include "runfolder/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qsim::runfolder;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  qsim::StatusOr<CsvReader> reader = CsvReader::FromText(text, "fuzz.csv");
  if (reader.ok()) {
    const size_t width = reader->header().size();
    (void)reader->Column("wait_s");
    (void)reader->RequireColumns({"account", "tasks"});
    for (;;) {
      qsim::StatusOr<bool> next = reader->Next();
      if (!next.ok() || !*next) break;
      FUZZ_REQUIRE(reader->row().size() == width, "a row not as wide as the header");
      for (size_t i = 0; i < reader->row().size(); ++i) {
        const auto [line, column] = reader->FieldPosition(i);
        FUZZ_REQUIRE(line >= 1 && column >= 1, "a field position before the start");
        (void)reader->NumberAt(static_cast<int>(i));
      }
    }
  }

  qsim::StatusOr<CsvTable> table = ParseCsv(text, "fuzz.csv");
  if (table.ok()) {
    for (const auto& row : table->rows) FUZZ_REQUIRE(row.size() == table->header.size(), "a ragged table row");
    (void)table->RequireColumns({"account"});
  }
  return 0;
}
