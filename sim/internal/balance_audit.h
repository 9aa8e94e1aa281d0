// The balance invariant: an account's balance never exceeds its cap except by
// a preemption refund. Checked at every sample and at the end. Internal to
// sim/.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "scheduler/types.h"
#include "sim/internal/recorder.h"
#include "sim/scenario.h"

namespace qsim::sim {

// The balance an account starts with: every level at its cap when
// `initial_full`, else the scenario's numbers (missing levels 0).
std::vector<float> InitialBalance(const AccountSpec& account);

class BalanceAudit {
 public:
  explicit BalanceAudit(const std::vector<AccountSpec>& accounts);

  // A preemption refund gave `account` the balance `now_balance`: what is
  // above the cap is allowed until it is spent.
  void Refunded(uint32_t account, const Balance& now_balance);
  // Reports each level above its allowance to `recorder` (messages start
  // with "t=<now>"), then lowers the allowances to what is left of refunds.
  void Check(Time now, const std::map<std::string, Balance>& balances, Recorder& recorder);

 private:
  struct Limits {
    std::string id;
    Balance cap{};
    Balance allowance{};  // cap, raised by preemption refunds
  };
  std::vector<Limits> accounts_;
};

}  // namespace qsim::sim
