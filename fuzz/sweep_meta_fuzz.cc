// Fuzz target: what `qsim merge` reads from a sweep shard's folder
// (reports/sweep_meta.h), over text: the bytes before the first form feed
// (\f) as sweep.meta, the bytes up to the next form feed as summaries.csv,
// the rest as sweep.gates.yaml. Every error is a value; a shard set that
// merge accepts holds each run of the sweep exactly once.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_target.h"
#include "reports/expectations.h"
#include "reports/sweep_meta.h"
#include "reports/yaml_util.h"
#include "runfolder/csv.h"

namespace {

// The next part of `bytes` up to a form feed (or the end), advancing `at`.
std::string_view NextPart(std::string_view bytes, size_t& at) {
  const size_t start = std::min(at, bytes.size());
  const size_t end = std::min(bytes.find('\f', start), bytes.size());
  at = end + 1;
  return bytes.substr(start, end - start);
}

void MergeOneShard(const std::string& meta_text, std::string_view summaries_text) {
  using namespace qsim::reports;
  qsim::StatusOr<ShardMeta> shard = SplitShardMeta(meta_text, "sweep.meta");
  if (!shard.ok()) return;
  FUZZ_REQUIRE(shard->shard >= 0 && shard->shard < shard->shards, "a shard outside 0..N-1");
  qsim::StatusOr<SweepMeta> meta = ParseSweepMeta(shard->meta, "sweep.meta");
  if (!meta.ok()) return;
  FUZZ_REQUIRE(CheckGridSize(meta->grid).ok(), "a grid past the limit accepted");
  const size_t points = GridPoints(meta->grid).size();
  qsim::StatusOr<qsim::runfolder::CsvTable> table = qsim::runfolder::ParseCsv(summaries_text, "summaries.csv");
  if (!table.ok()) return;
  std::map<RunKey, std::string> holder;
  qsim::StatusOr<Summaries> runs = CollectSweepRuns({{"shard", std::move(*table)}}, *meta, holder);
  if (!runs.ok()) return;
  FUZZ_REQUIRE(runs->runs.size() == (points + 1) * static_cast<size_t>(meta->seeds),
               "merge accepted a shard set that does not hold every run once");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  size_t at = 0;
  const std::string meta(NextPart(bytes, at));
  const std::string_view summaries = NextPart(bytes, at);
  const std::string gates(bytes.substr(std::min(at, bytes.size())));
  MergeOneShard(meta, summaries);
  qsim::StatusOr<YAML::Node> yaml = qsim::reports::LoadYamlText(gates, "sweep.gates.yaml");
  if (yaml.ok()) (void)qsim::reports::ParseGates(*yaml, "sweep.gates.yaml");
  return 0;
}
