#include "reports/fairness.h"

#include <algorithm>

namespace qsim::reports {
namespace {

double ValueAt(const std::map<double, double>* series, double t) {
  if (series == nullptr) return 0;
  auto it = series->find(t);
  return it == series->end() ? 0 : it->second;
}

const std::map<double, double>* Find(const Timeseries& ts, const std::string& series, const std::string& account) {
  auto s = ts.totals.find(series);
  if (s == ts.totals.end()) return nullptr;
  auto a = s->second.find(account);
  return a == s->second.end() ? nullptr : &a->second;
}

// Turns the per-sample short flags of one account into episodes.
void CountEpisodes(const std::vector<double>& times, const std::vector<bool>& short_at, AccountFairness& f) {
  std::optional<double> since;
  for (size_t k = 0; k < times.size(); ++k) {
    if (short_at[k] && !since) since = times[k];
    if (!short_at[k] && since) {
      f.episodes_s.push_back(times[k] - *since);
      f.short_s += times[k] - *since;
      since.reset();
    }
  }
  if (since) {
    ++f.open_at_end;
    f.short_s += times.back() - *since;
  }
}

}  // namespace

std::vector<double> WaterFill(double capacity, const std::vector<double>& weights, const std::vector<double>& demand) {
  const size_t n = weights.size();
  std::vector<double> alloc(n, 0);
  std::vector<bool> open(n);
  for (size_t i = 0; i < n; ++i) open[i] = demand[i] > 0;
  // Weighted rounds: each round either satisfies one account or spends it all.
  for (bool weighted : {true, false}) {
    for (size_t round = 0; round < n && capacity > 1e-9; ++round) {
      double weight_sum = 0;
      for (size_t i = 0; i < n; ++i) {
        if (open[i] && (weights[i] > 0) == weighted) weight_sum += weighted ? weights[i] : 1;
      }
      if (weight_sum <= 0) break;
      double spent = 0;
      bool capped = false;
      for (size_t i = 0; i < n; ++i) {
        if (!open[i] || (weights[i] > 0) != weighted) continue;
        double give = capacity * (weighted ? weights[i] : 1) / weight_sum;
        if (alloc[i] + give >= demand[i]) {
          give = demand[i] - alloc[i];
          open[i] = false;
          capped = true;
        }
        alloc[i] += give;
        spent += give;
      }
      capacity -= spent;
      if (!capped) break;  // nobody reached their demand: all was spent in proportion
    }
  }
  return alloc;
}

Fairness ComputeFairness(const Timeseries& ts, const std::map<std::string, double>& charge_share) {
  Fairness out;
  out.times = ts.times;
  std::vector<std::string> names;
  std::vector<double> weights;
  for (const auto& [account, share] : charge_share) {
    names.push_back(account);
    weights.push_back(share);
  }
  const std::map<double, double>* busy = Find(ts, "bots_busy", "");
  const std::map<double, double>* idle = Find(ts, "bots_idle", "");
  std::vector<std::vector<bool>> short_at(names.size(), std::vector<bool>(ts.times.size(), false));
  for (const std::string& name : names) out.accounts[name];
  for (size_t k = 0; k < ts.times.size(); ++k) {
    const double t = ts.times[k];
    std::vector<double> running(names.size()), queued(names.size()), demand(names.size());
    double running_sum = 0;
    for (size_t i = 0; i < names.size(); ++i) {
      running[i] = ValueAt(Find(ts, "running", names[i]), t);
      queued[i] = ValueAt(Find(ts, "queued", names[i]), t);
      demand[i] = running[i] + queued[i];
      running_sum += running[i];
    }
    std::vector<double> alloc = WaterFill(ValueAt(busy, t) + ValueAt(idle, t), weights, demand);
    double alloc_sum = 0;
    for (double a : alloc) alloc_sum += a;
    for (size_t i = 0; i < names.size(); ++i) {
      AccountFairness& f = out.accounts[names[i]];
      f.actual.push_back(running_sum > 0 ? running[i] / running_sum : 0);
      f.entitled.push_back(alloc_sum > 0 ? alloc[i] / alloc_sum : 0);
      short_at[i][k] = queued[i] > 0 && f.actual.back() < f.entitled.back() - kFairShareTolerance;
    }
  }
  for (size_t i = 0; i < names.size(); ++i) CountEpisodes(out.times, short_at[i], out.accounts[names[i]]);
  return out;
}

}  // namespace qsim::reports
