#include "modes/binary-translation/adaptive.h"

namespace vmlab::modes::bt {

bool Adaptive::on_trace_fault(uint32_t eip) {
  ++trace_faults_;
  if (guilty_.count(eip)) return false;
  if (++faults_[eip] < kGuiltyAfter) return false;
  faults_.erase(eip);
  guilty_.insert(eip);
  innocent_[eip] = 0;
  return true;
}

bool Adaptive::on_simulated(uint32_t eip, bool traced) {
  ++simulated_;
  if (!guilty_.count(eip)) return false;
  uint32_t& run = innocent_[eip];
  run = traced ? 0 : run + 1;
  if (run < kInnocentAfter) return false;
  guilty_.erase(eip);
  innocent_.erase(eip);
  return true;
}

void Adaptive::on_written_in_tc(uint32_t eip) {
  ++in_tc_writes_;
  if (const auto it = innocent_.find(eip); it != innocent_.end()) it->second = 0;
}

uint32_t Adaptive::seen(uint32_t eip) const {
  if (const auto it = innocent_.find(eip); it != innocent_.end()) return it->second;
  if (const auto it = faults_.find(eip); it != faults_.end()) return it->second;
  return 0;
}

}  // namespace vmlab::modes::bt
