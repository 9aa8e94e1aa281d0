#include "sim/internal/task_table.h"

namespace qsim::sim {

uint32_t TaskTable::InternLabels(const LabelSet& labels) {
  auto [it, inserted] = label_index_.emplace(labels, static_cast<uint32_t>(label_sets_.size()));
  if (inserted) label_sets_.push_back(labels);
  return it->second;
}

void TaskTable::Audit(const std::string& at, const std::function<int32_t(int32_t bot)>& bot_task,
                      const std::function<void(const std::string&, int32_t account)>& violation) const {
  size_t pending = 0;
  for (uint32_t id = 0; id < tasks_.size(); ++id) {
    const Task& t = tasks_[id];
    int32_t account = static_cast<int32_t>(t.account);
    switch (t.state) {
      case TaskState::kPending:
        ++pending;
        if (!pending_.Contains(id)) violation(at + TaskName(id) + " is pending but not in the queue", account);
        break;
      case TaskState::kRunning:
        if (t.bot < 0 || bot_task(t.bot) != static_cast<int32_t>(id)) {
          violation(at + TaskName(id) + " is running but no bot holds it", account);
        }
        break;
      case TaskState::kDone:
        if (t.outcome == Outcome::kUnfinished) violation(at + TaskName(id) + " ended without an outcome", account);
        break;
    }
  }
  if (pending != pending_.size()) violation(at + "the pending set holds tasks that are not pending", -1);
}

}  // namespace qsim::sim
