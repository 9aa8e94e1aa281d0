#include "sim/internal/balance_audit.h"

#include <algorithm>
#include <cmath>

namespace qsim::sim {

std::vector<float> InitialBalance(const AccountSpec& a) {
  std::vector<float> initial(kNumPriorities, 0);
  for (int p = 0; p < kNumPriorities; ++p) {
    float cap = a.config.charge_rate[p] * a.config.max_charge_seconds;
    initial[p] = a.initial_full ? cap : (p < static_cast<int>(a.initial_balance.size()) ? a.initial_balance[p] : 0);
  }
  return initial;
}

BalanceAudit::BalanceAudit(const std::vector<AccountSpec>& accounts) {
  for (const AccountSpec& a : accounts) {
    Limits l;
    l.id = a.id;
    std::vector<float> initial = InitialBalance(a);
    for (int p = 0; p < kNumPriorities; ++p) {
      l.cap[p] = a.config.charge_rate[p] * a.config.max_charge_seconds;
      l.allowance[p] = std::max(l.cap[p], initial[p]);
    }
    accounts_.push_back(std::move(l));
  }
}

void BalanceAudit::Refunded(uint32_t account, const Balance& now_balance) {
  Limits& l = accounts_[account];
  for (int p = 0; p < kNumPriorities; ++p) l.allowance[p] = std::max(l.allowance[p], now_balance[p]);
}

void BalanceAudit::Check(Time now, const std::map<std::string, Balance>& balances, Recorder& recorder) {
  for (Limits& a : accounts_) {
    auto it = balances.find(a.id);
    if (it == balances.end()) continue;
    for (int p = 0; p < kNumPriorities; ++p) {
      float b = it->second[p];
      float allowed = a.allowance[p];
      if (b > allowed + 1e-6f * std::max(1.0f, std::fabs(allowed))) {
        recorder.Violation("t=" + FormatMicros(ToMicros(Since(now))) + ": account " + a.id + " balance[" +
                               std::to_string(p) + "] = " + FormatNumber(b) + " exceeds its cap " +
                               FormatNumber(a.cap[p]) + " beyond refunds (" + FormatNumber(allowed) + ")",
                           static_cast<int32_t>(&a - accounts_.data()));
      }
      // Above the cap, a balance can only fall until the next refund.
      a.allowance[p] = std::max(a.cap[p], std::min(allowed, b));
    }
  }
}

}  // namespace qsim::sim
