// Runs reports/stats on cases read from stdin and prints the results, for
// stats_oracle.py to compare against SciPy. One case per line:
//
//   W <id> <confidence> <d_1> ... <d_n>   signed-rank test and Hodges-Lehmann
//   H <id> <p_1> ... <p_m>                Holm adjustment
//   K <id> <n_a> <a_1> ... <a_na> <b_1> ...  two-sample Kolmogorov-Smirnov distance
//   L <id> <mu> <sigma> <x_1> ... <x_n>   KS distance to a lognormal(mu, sigma)
//
// and one result line per case, numbers with 17 significant digits:
//
//   W <id> <n_nonzero> <w_plus> <p_value> <exact 0|1> <estimate> <low|-> <high|->
//   H <id> <adjusted_1> ... <adjusted_m>
//   K <id> <distance>
//   L <id> <distance>
//
// Blank lines and lines starting with '#' are skipped. A malformed line is
// reported as "stdin:<line>: <what>" and ends the run with status 2.
#include <charconv>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "reports/stats.h"

namespace {

namespace stats = qsim::reports::stats;

std::optional<double> ParseDouble(const std::string& token) {
  double value = 0;
  auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (error != std::errc() || end != token.data() + token.size()) return std::nullopt;
  return value;
}

// Formats with 17 significant digits, enough to read back the same double.
std::string Format(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

std::string FormatOptional(const std::optional<double>& value) {
  return value.has_value() ? Format(*value) : "-";
}

}  // namespace

int main() {
  std::string line;
  int line_number = 0;
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    std::string kind, id, token;
    in >> kind >> id;
    std::vector<double> values;
    while (in >> token) {
      std::optional<double> value = ParseDouble(token);
      if (!value.has_value()) {
        std::cerr << "stdin:" << line_number << ": not a number: \"" << token << "\"\n";
        return 2;
      }
      values.push_back(*value);
    }
    if (kind == "W") {
      if (values.size() < 2 || !(values[0] > 0 && values[0] < 1)) {
        std::cerr << "stdin:" << line_number
                  << ": W wants a confidence in (0, 1) and at least one difference\n";
        return 2;
      }
      double confidence = values[0];
      std::vector<double> differences(values.begin() + 1, values.end());
      stats::WilcoxonResult test = stats::WilcoxonSignedRank(differences);
      stats::ShiftEstimate shift = stats::HodgesLehmann(differences, confidence);
      std::cout << "W " << id << ' ' << test.n_nonzero << ' ' << Format(test.w_plus) << ' '
                << Format(test.p_value) << ' ' << (test.exact ? 1 : 0) << ' '
                << Format(shift.estimate) << ' ' << FormatOptional(shift.low) << ' '
                << FormatOptional(shift.high) << '\n';
    } else if (kind == "H") {
      std::cout << "H " << id;
      for (double p : stats::HolmAdjust(values)) std::cout << ' ' << Format(p);
      std::cout << '\n';
    } else if (kind == "K") {
      size_t na = values.empty() ? 0 : static_cast<size_t>(values[0]);
      if (values.empty() || na < 1 || values.size() < na + 2) {
        std::cerr << "stdin:" << line_number << ": K wants n_a >= 1, then n_a and at least one more value\n";
        return 2;
      }
      std::vector<double> a(values.begin() + 1, values.begin() + 1 + static_cast<std::ptrdiff_t>(na));
      std::vector<double> b(values.begin() + 1 + static_cast<std::ptrdiff_t>(na), values.end());
      std::cout << "K " << id << ' ' << Format(stats::KsTwoSampleDistance(a, b)) << '\n';
    } else if (kind == "L") {
      if (values.size() < 3 || !(values[1] > 0)) {
        std::cerr << "stdin:" << line_number << ": L wants mu, sigma > 0 and at least one value\n";
        return 2;
      }
      double mu = values[0], sigma = values[1];
      std::vector<double> x(values.begin() + 2, values.end());
      double d = stats::KsDistanceToCdf(x, [&](double v) { return stats::LognormalCdf(v, mu, sigma); });
      std::cout << "L " << id << ' ' << Format(d) << '\n';
    } else {
      std::cerr << "stdin:" << line_number << ": unknown case kind \"" << kind
                << "\" (want W, H, K or L)\n";
      return 2;
    }
  }
  return 0;
}
