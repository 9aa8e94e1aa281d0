// Fuzz target: the conformance-trace reader on arbitrary bytes, plain or
// gzip. Whatever the bytes, ParseTrace returns a trace or a located error.
// (Fuzz targets, like tests, may include a module's internal headers.)
#include <string>
#include <string_view>

#include "fuzz/fuzz_target.h"
#include "replay/trace_file_internal.h"
#include "replay/trace_parse_internal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qsim::replay::internal;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::string text;
  if (LooksGzipped(bytes)) {
    qsim::StatusOr<std::string> gunzipped = Gunzip(bytes, "fuzz.jsonl.gz");
    if (!gunzipped.ok()) return 0;
    text = std::move(*gunzipped);
    bytes = text;
  }
  qsim::StatusOr<Trace> trace = ParseTrace(bytes, "fuzz.jsonl");
  if (trace.ok()) {
    for (const TraceOp& op : trace->ops) FUZZ_REQUIRE(op.line >= 2, "an op on the header's line");
  } else {
    FUZZ_REQUIRE(trace.status().message().rfind("fuzz.jsonl", 0) == 0, "an error that does not name the file");
  }
  return 0;
}
