// The run folder's CSV and number formats: byte for byte what
// docs/run-folder.md promises, since comparisons across runs diff these files.
#include "runfolder/csv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "runfolder/columns.h"
#include "runfolder/files.h"
#include "tests/testing/test_util.h"

namespace qsim::runfolder {
namespace {

std::string Slurp(const std::string& path) { return testing::ReadFile(path); }

TEST(RunfolderNumbers, MicrosHaveSixDecimalsAndASign) {
  EXPECT_EQ(FormatMicros(0), "0.000000");
  EXPECT_EQ(FormatMicros(12000500), "12.000500");
  EXPECT_EQ(FormatMicros(999999), "0.999999");
  EXPECT_EQ(FormatMicros(-250000), "-0.250000");
  EXPECT_EQ(FormatMicros(-1), "-0.000001");
  EXPECT_EQ(FormatMicros(604800000000), "604800.000000");
  EXPECT_EQ(FormatMicros(std::numeric_limits<int64_t>::max()), "9223372036854.775807");
  EXPECT_EQ(FormatMicros(std::numeric_limits<int64_t>::min()), "-9223372036854.775808");
}

TEST(RunfolderNumbers, FiniteValuesAreSixSignificantDigits) {
  EXPECT_EQ(FormatNumber(0.1 + 0.2), "0.3");
  EXPECT_EQ(FormatNumber(1234567), "1.23457e+06");
  EXPECT_EQ(FormatNumber(12.5), "12.5");
  EXPECT_EQ(FormatNumber(-0.000123456789), "-0.000123457");
  EXPECT_EQ(FormatNumber(159.63654), "159.637");
  EXPECT_EQ(FormatNumber(1e-300), "1e-300");
  EXPECT_EQ(FormatNumber(std::numeric_limits<double>::max()), "1.79769e+308");
  // The same bytes printf gives, for a spread of magnitudes.
  for (double v = 1e-9; v < 1e12; v *= 7.3) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    EXPECT_EQ(FormatNumber(v), buf);
    std::snprintf(buf, sizeof buf, "%.6g", -v);
    EXPECT_EQ(FormatNumber(-v), buf);
  }
}

TEST(RunfolderNumbers, ZeroNanAndInfinityHaveOneSpellingEach) {
  EXPECT_EQ(FormatNumber(0.0), "0");
  EXPECT_EQ(FormatNumber(-0.0), "0");
  EXPECT_EQ(FormatNumber(std::numeric_limits<double>::quiet_NaN()), "nan");
  EXPECT_EQ(FormatNumber(-std::numeric_limits<double>::quiet_NaN()), "nan");
  EXPECT_EQ(FormatNumber(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(FormatNumber(-std::numeric_limits<double>::infinity()), "-inf");
}

TEST(RunfolderNumbers, ParsedFieldsRoundTripAndEmptyMeansDidNotHappen) {
  StatusOr<std::optional<double>> empty = ParseNumberField("");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());
  EXPECT_FALSE(ParseNumberField("12x").ok());
  EXPECT_EQ(**ParseNumberField("12.000500"), 12.0005);
  EXPECT_TRUE(std::isnan(**ParseNumberField(FormatNumber(std::nan("")))));
  EXPECT_EQ(**ParseNumberField(FormatNumber(-std::numeric_limits<double>::infinity())),
            -std::numeric_limits<double>::infinity());
}

TEST(RunfolderCsvWriter, QuotesOnlyWhenNeededAndFormatsEachKind) {
  const std::string path = ::testing::TempDir() + "qsim-runfolder-csv-test.csv";
  {
    auto writer = CsvWriter::Open(path);
    ASSERT_TRUE(writer.ok()) << writer.status().message();
    (*writer)->Header(kTimeseriesColumns);
    (*writer)->Field("plain").Field("a,b").Field("say \"hi\"").Field(int64_t{-42}).EndRow();
    (*writer)->Micros(1500000).Float(0.1 + 0.2).Float(-0.0).Empty().EndRow();
    ASSERT_TRUE((*writer)->Close().ok());
  }
  EXPECT_EQ(Slurp(path),
            "time_s,series,account,priority,value\n"
            "plain,\"a,b\",\"say \"\"hi\"\"\",-42\n1.500000,0.3,0,\n");
  std::filesystem::remove(path);
}

TEST(RunfolderCsvWriter, UnwritablePathIsAnIoErrorNamingItAndTheReason) {
  auto writer = CsvWriter::Open("/nonexistent/dir/tasks.csv");
  ASSERT_FALSE(writer.ok());
  EXPECT_EQ(writer.status().code(), StatusCode::kIoError);
  EXPECT_EQ(writer.status().message(), "/nonexistent/dir/tasks.csv: cannot write: No such file or directory");
}

TEST(RunfolderCsvWriter, LinesQuoteLikeTheStreamingWriter) {
  EXPECT_EQ(CsvLine({"a", "b,c", "say \"x\"", "", "cr\r"}), "a,\"b,c\",\"say \"\"x\"\"\",,\"cr\r\"\n");
  EXPECT_EQ(CsvField("x\ny"), "\"x\ny\"");
  StatusOr<CsvTable> back = ParseCsv("h1,h2,h3,h4\n" + CsvLine({"a", "b,c", "say \"x\"", ""}), "t");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->rows[0][2], "say \"x\"");
}

TEST(RunfolderCsvReader, ParsesQuotedFieldsAndCrlf) {
  StatusOr<CsvTable> t = ParseCsv("a,b,c\r\n1,\"x,y\",\"say \"\"hi\"\"\"\r\n2,\"line\nbreak\",\n", "t.csv");
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0][1], "x,y");
  EXPECT_EQ(t->rows[0][2], "say \"hi\"");
  EXPECT_EQ(t->rows[1][1], "line\nbreak");
  EXPECT_EQ(t->rows[1][2], "");
  EXPECT_EQ(t->Column("c"), 2);
  EXPECT_EQ(t->Column("d"), -1);
  EXPECT_EQ(t->RequireColumns({"a", "zz"}).message(), "t.csv:1: missing column \"zz\"");
}

TEST(RunfolderCsvReader, RaggedRowNamesItsLine) {
  StatusOr<CsvTable> t = ParseCsv("a,b\n1,2\n\"x\ny\",2,3\n", "t.csv");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "t.csv:3: 3 fields, the header has 2");
}

TEST(RunfolderCsvReader, UnterminatedQuoteAndEmptyFileAreErrors) {
  EXPECT_FALSE(ParseCsv("a\n\"open\n", "t.csv").ok());
  EXPECT_FALSE(ParseCsv("", "t.csv").ok());
}

TEST(RunfolderCsvReader, StreamsRowsWithTheirStartLines) {
  StatusOr<CsvReader> r = CsvReader::FromText("a,b\n1,\"two\nlines\"\n3,4", "t.csv");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->header(), (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(*r->Next());
  EXPECT_EQ(r->row(), (std::vector<std::string>{"1", "two\nlines"}));
  EXPECT_EQ(r->row_line(), 2);
  ASSERT_TRUE(*r->Next());
  EXPECT_EQ(r->row(), (std::vector<std::string>{"3", "4"}));
  EXPECT_EQ(r->row_line(), 4);
  EXPECT_EQ(**r->NumberAt(r->Column("b")), 4);
  StatusOr<bool> end = r->Next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(*end);
}

TEST(RunfolderCsvReader, FieldPositionsAreLineAndColumn) {
  StatusOr<CsvReader> r = CsvReader::FromText("a,b,c\n12,\"q,\"\"x\",z\n", "t.csv");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(*r->Next());
  EXPECT_EQ(r->FieldPosition(0), std::make_pair(2, 1));
  EXPECT_EQ(r->FieldPosition(1), std::make_pair(2, 4));
  EXPECT_EQ(r->FieldPosition(2), std::make_pair(2, 12));
}

TEST(RunfolderCsvReader, BlankLinesAreRowsUnlessSkipped) {
  const std::string text = "a,b\n\n1,2\r\n\r\n\n3,4\n\n";
  StatusOr<CsvReader> strict = CsvReader::FromText(text, "t.csv");
  ASSERT_TRUE(strict.ok());
  EXPECT_EQ(strict->Next().status().message(), "t.csv:2: 1 fields, the header has 2");
  StatusOr<CsvReader> r = CsvReader::FromText(text, "t.csv", {.skip_blank_lines = true});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(*r->Next());
  EXPECT_EQ(r->row_line(), 3);
  ASSERT_TRUE(*r->Next());
  EXPECT_EQ(r->row(), (std::vector<std::string>{"3", "4"}));
  EXPECT_EQ(r->row_line(), 6);
  EXPECT_EQ(r->FieldPosition(1), std::make_pair(6, 3));
  EXPECT_FALSE(*r->Next());
}

TEST(RunfolderCsvReader, ErrorsNameFileLineAndColumn) {
  StatusOr<CsvReader> r = CsvReader::FromText("a,b\n1,x\n1,2,3\n", "t.csv");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(*r->Next());
  EXPECT_EQ(r->NumberAt(1).status().message(), "t.csv:2: column b: \"x\" is not a number");
  EXPECT_EQ(r->Next().status().message(), "t.csv:3: 3 fields, the header has 2");
  EXPECT_EQ(CsvReader::FromText("a\n\"x\"y\n", "t.csv")->Next().status().message(),
            "t.csv:2: text after a closing quote");
  EXPECT_EQ(CsvReader::FromText("a\nx\"y\n", "t.csv")->Next().status().message(),
            "t.csv:2: stray quote inside a field");
  EXPECT_EQ(CsvReader::FromText("", "t.csv").status().message(), "t.csv:1: empty file, expected a header line");
  EXPECT_EQ(CsvReader::Open("/nonexistent/t.csv").status().code(), StatusCode::kNotFound);
}

TEST(RunfolderColumns, ColumnNamesAreUniqueWithinAFile) {
  auto unique = [](const auto& columns) {
    for (size_t i = 0; i < columns.size(); ++i) {
      for (size_t j = i + 1; j < columns.size(); ++j) {
        if (columns[i] == columns[j]) return false;
      }
    }
    return true;
  };
  EXPECT_TRUE(unique(kTasksColumns));
  EXPECT_TRUE(unique(kSummaryColumns));
  EXPECT_TRUE(unique(kTimeseriesColumns));
  EXPECT_TRUE(unique(kEventsColumns));
  static_assert(Column(kSummaryColumns, "wait_p99_s") == "wait_p99_s");
}

TEST(RunfolderFiles, WriteFailuresAreIoErrorsAndMissingInputIsNotFound) {
  Status s = WriteTextFile("/nonexistent/dir/x.txt", "x");
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_EQ(s.message(), "/nonexistent/dir/x.txt: cannot write: No such file or directory");
  EXPECT_EQ(ReadTextFile("/nonexistent/x.txt").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(MakeDirectories("/proc/qsim-cannot-be-here").code(), StatusCode::kIoError);
  const std::string path = ::testing::TempDir() + "qsim-runfolder-files-test.txt";
  ASSERT_TRUE(WriteTextFile(path, "a\nb").ok());
  EXPECT_EQ(*ReadTextFile(path), "a\nb");
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace qsim::runfolder
