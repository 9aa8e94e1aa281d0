#include "production/calibrate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "production/fit.h"
#include "reports/stats.h"

namespace qsim::production {
namespace {

// One log (or run) measured, per account and "*".
struct Measure {
  int64_t tasks = 0, assigned = 0, assignments = 0, preemptions = 0;
  double busy_s = 0;
  std::vector<double> waits;
};

struct LogMeasure {
  std::map<std::string, Measure> accounts;  // and "*"
  double bot_s = 0;
};

LogMeasure MeasureLog(const ObservedLog& log) {
  LogMeasure m;
  for (const ObservedTask& t : log.tasks) {
    for (const std::string& key : {t.account.empty() ? std::string(kNoAccount) : t.account, std::string("*")}) {
      Measure& a = m.accounts[key];
      ++a.tasks;
      a.preemptions += t.preemptions;
      a.assignments += t.assignments;
      if (t.first_assigned_us) {
        ++a.assigned;
        a.waits.push_back(static_cast<double>(*t.first_assigned_us - t.enqueue_us) / 1e6);
      }
      if (t.run_us) a.busy_s += static_cast<double>(*t.run_us) / 1e6;
    }
  }
  for (const ObservedBot& b : log.bots) m.bot_s += static_cast<double>(b.last_seen_us - b.first_seen_us) / 1e6;
  return m;
}

std::optional<double> NearestRank(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return std::nullopt;
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

void Finish(CalibrationSide& side) {
  std::sort(side.waits.begin(), side.waits.end());
  side.p50 = NearestRank(side.waits, 0.50);
  side.p90 = NearestRank(side.waits, 0.90);
  side.p99 = NearestRank(side.waits, 0.99);
}

std::optional<double> Ks(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || b.empty()) return std::nullopt;
  return reports::stats::KsTwoSampleDistance(a, b);
}

// The wait where the two sorted samples' CDFs are furthest apart (the
// point KsTwoSampleDistance measures), for the page to mark.
void LocateGap(CalibrationRow& row) {
  const std::vector<double>& a = row.log.waits;
  const std::vector<double>& b = row.sim.waits;
  size_t i = 0, j = 0;
  double best = -1;
  while (i < a.size() && j < b.size()) {
    double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
    double fa = static_cast<double>(i) / static_cast<double>(a.size());
    double fb = static_cast<double>(j) / static_cast<double>(b.size());
    if (std::fabs(fa - fb) > best) best = std::fabs(fa - fb), row.ks_at = x, row.ks_log_cdf = fa, row.ks_sim_cdf = fb;
  }
}

CalibrationRow Row(const std::string& account, const LogMeasure& log, const std::vector<LogMeasure>& runs) {
  CalibrationRow row;
  row.account = account;
  auto side_of = [&account](const LogMeasure& m, CalibrationSide& side, double weight) {
    auto it = m.accounts.find(account);
    auto all = m.accounts.find("*");
    if (it == m.accounts.end()) return;
    side.tasks += weight * static_cast<double>(it->second.tasks);
    side.assigned += weight * static_cast<double>(it->second.assigned);
    side.preemptions += weight * static_cast<double>(it->second.preemptions);
    side.assignments += weight * static_cast<double>(it->second.assignments);
    if (all->second.busy_s > 0) side.busy_share += weight * it->second.busy_s / all->second.busy_s;
    side.waits.insert(side.waits.end(), it->second.waits.begin(), it->second.waits.end());
  };
  side_of(log, row.log, 1.0);
  for (const LogMeasure& r : runs) side_of(r, row.sim, 1.0 / static_cast<double>(runs.size()));
  Finish(row.log);
  Finish(row.sim);
  row.ks = Ks(row.log.waits, row.sim.waits);
  if (row.ks) LocateGap(row);
  if (runs.size() >= 2) {
    double worst = 0;
    bool any = false;
    for (size_t i = 0; i < runs.size(); ++i) {
      for (size_t j = i + 1; j < runs.size(); ++j) {
        auto a = runs[i].accounts.find(account), b = runs[j].accounts.find(account);
        if (a == runs[i].accounts.end() || b == runs[j].accounts.end()) continue;
        if (std::optional<double> d = Ks(a->second.waits, b->second.waits)) worst = std::max(worst, *d), any = true;
      }
    }
    if (any) row.seed_ks = worst;
  }
  return row;
}

double Utilisation(const LogMeasure& m) {
  auto all = m.accounts.find("*");
  return m.bot_s > 0 && all != m.accounts.end() ? all->second.busy_s / m.bot_s : 0;
}

}  // namespace

StatusOr<Calibration> Calibrate(const ObservedLog& log, const std::string& log_name,
                                const std::vector<ObservedLog>& runs, const std::vector<std::string>& accounts) {
  LogMeasure observed = MeasureLog(log);
  std::vector<LogMeasure> simulated;
  for (const ObservedLog& r : runs) simulated.push_back(MeasureLog(r));
  std::vector<std::string> names;
  for (const auto& [id, m] : observed.accounts) {
    if (id != "*") names.push_back(id);
  }
  for (const std::string& a : accounts) {
    if (!observed.accounts.count(a) || a == "*") {
      std::string known;
      for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
      return InvalidArgument("--accounts: account \"" + a + "\" has no task in " + log_name + " (it has: " + known +
                             ")");
    }
  }
  Calibration c;
  c.runs = runs.size();
  std::set<std::string> wanted(accounts.begin(), accounts.end());
  for (const std::string& id : names) {
    if (!wanted.empty() && !wanted.count(id)) continue;
    c.rows.push_back(Row(id, observed, simulated));
    if (c.rows.back().sim.tasks == 0) c.warnings.push_back("account " + id + ": no simulated run has a task of it");
  }
  if (wanted.empty()) c.rows.push_back(Row("*", observed, simulated));
  std::set<std::string> extra;
  for (const LogMeasure& r : simulated) {
    for (const auto& [id, m] : r.accounts) {
      if (!observed.accounts.count(id)) extra.insert(id);
    }
  }
  for (const std::string& id : extra) c.warnings.push_back("account " + id + ": simulated, but not in " + log_name);
  c.log_utilisation = Utilisation(observed);
  for (const LogMeasure& r : simulated) c.sim_utilisation += Utilisation(r) / static_cast<double>(simulated.size());
  return c;
}

}  // namespace qsim::production
