// The run folder's number and field formats: byte-for-byte what the contract
// (sim/README.md) promises, since comparisons across runs diff these files.
#include "sim/internal/csv.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace qsim::sim {
namespace {

TEST(SimCsv, MicrosHaveSixDecimalsAndASign) {
  EXPECT_EQ(FormatMicros(0), "0.000000");
  EXPECT_EQ(FormatMicros(12000500), "12.000500");
  EXPECT_EQ(FormatMicros(999999), "0.999999");
  EXPECT_EQ(FormatMicros(-250000), "-0.250000");
  EXPECT_EQ(FormatMicros(-1), "-0.000001");
  EXPECT_EQ(FormatMicros(604800000000), "604800.000000");
  EXPECT_EQ(FormatMicros(std::numeric_limits<int64_t>::max()), "9223372036854.775807");
  EXPECT_EQ(FormatMicros(std::numeric_limits<int64_t>::min()), "-9223372036854.775808");
}

TEST(SimCsv, WriterQuotesOnlyWhenNeededAndFormatsEachKind) {
  const std::string path = ::testing::TempDir() + "qsim-sim-csv-test.csv";
  {
    auto writer = CsvWriter::Open(path);
    ASSERT_TRUE(writer.ok()) << writer.status().message();
    (*writer)->Field("plain").Field("a,b").Field("say \"hi\"").Field(int64_t{-42}).EndRow();
    (*writer)->Micros(1500000).Float(0.1 + 0.2).Float(-0.0).Empty().EndRow();
    ASSERT_TRUE((*writer)->Close().ok());
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "plain,\"a,b\",\"say \"\"hi\"\"\",-42\n1.500000,0.3,0,\n");
  std::filesystem::remove(path);
}

TEST(SimCsv, UnwritablePathIsAnErrorNamingIt) {
  auto writer = CsvWriter::Open("/nonexistent/dir/tasks.csv");
  ASSERT_FALSE(writer.ok());
  EXPECT_NE(writer.status().message().find("/nonexistent/dir/tasks.csv"), std::string::npos);
}

}  // namespace
}  // namespace qsim::sim
