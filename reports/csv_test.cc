#include "reports/csv.h"

#include <gtest/gtest.h>

#include "reports/svg.h"

namespace qsim::reports {
namespace {

TEST(ReportsCsv, ParsesQuotedFieldsAndCrlf) {
  StatusOr<CsvTable> t = ParseCsv("a,b,c\r\n1,\"x,y\",\"say \"\"hi\"\"\"\r\n2,\"line\nbreak\",\n", "t.csv");
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0][1], "x,y");
  EXPECT_EQ(t->rows[0][2], "say \"hi\"");
  EXPECT_EQ(t->rows[1][1], "line\nbreak");
  EXPECT_EQ(t->rows[1][2], "");
  EXPECT_EQ(t->Column("c"), 2);
  EXPECT_EQ(t->Column("d"), -1);
}

TEST(ReportsCsv, RaggedRowNamesItsLine) {
  StatusOr<CsvTable> t = ParseCsv("a,b\n1,2\n\"x\ny\",2,3\n", "t.csv");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "t.csv:3: 3 fields, the header has 2");
}

TEST(ReportsCsv, UnterminatedQuoteIsAnError) {
  EXPECT_FALSE(ParseCsv("a\n\"open\n", "t.csv").ok());
  EXPECT_FALSE(ParseCsv("", "t.csv").ok());
}

TEST(ReportsCsv, ReaderStreamsRowsWithTheirStartLines) {
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

TEST(ReportsCsv, ReaderErrorsNameFileLineAndColumn) {
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

TEST(ReportsCsv, WritesFieldsQuotedOnlyWhenNeeded) {
  EXPECT_EQ(CsvLine({"a", "b,c", "say \"x\"", ""}), "a,\"b,c\",\"say \"\"x\"\"\",\n");
  StatusOr<CsvTable> back = ParseCsv("h1,h2,h3,h4\n" + CsvLine({"a", "b,c", "say \"x\"", ""}), "t");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->rows[0][2], "say \"x\"");
}

TEST(ReportsCsv, NumbersFormatStably) {
  EXPECT_EQ(FormatNumber(0.1 + 0.2), "0.3");
  EXPECT_EQ(FormatNumber(-0.0), "0");
  EXPECT_EQ(FormatNumber(1234567), "1.23457e+06");
  EXPECT_EQ(FormatNumber(12.5), "12.5");
  StatusOr<std::optional<double>> empty = ParseNumberField("");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());
  EXPECT_FALSE(ParseNumberField("12x").ok());
  EXPECT_EQ(**ParseNumberField("12.000500"), 12.0005);
}

TEST(ReportsSvg, NiceTicksCoverTheRange) {
  std::vector<double> t = svg::NiceTicks(0, 97, 5);
  ASSERT_FALSE(t.empty());
  EXPECT_EQ(t.front(), 0);
  EXPECT_EQ(t[1] - t[0], 20);
  EXPECT_EQ(t.back(), 80);
}

TEST(ReportsSvg, ChartHasAxesLegendAndEscapedText) {
  svg::XyChart chart;
  chart.id = "c";
  chart.title = "a < b";
  chart.x = {"time", "s", 0.0, std::nullopt};
  chart.y = {"tasks", "", 0.0, std::nullopt};
  svg::Series s;
  s.name = "build & test";
  s.x = {0, 10, 20};
  s.y = {1, 3, 2};
  chart.series.push_back(s);
  std::string out = svg::RenderXyChart(chart);
  EXPECT_NE(out.find("a &lt; b"), std::string::npos);
  EXPECT_NE(out.find(">time (s)<"), std::string::npos);
  EXPECT_NE(out.find(">tasks<"), std::string::npos);
  EXPECT_NE(out.find(">build &amp; test<"), std::string::npos);
  EXPECT_NE(out.find("<path class=\"series\""), std::string::npos);
  EXPECT_EQ(out.find("no data"), std::string::npos);
  chart.series.clear();
  EXPECT_NE(svg::RenderXyChart(chart).find("no data"), std::string::npos);
}

}  // namespace
}  // namespace qsim::reports
