// The classic trap-and-emulate monitor's saved state (docs/snapshots.md, "Loading a
// snapshot"): ring compression's virtual CPU, shadow segments and descriptor-table tracing,
// the shadow MMU and the monitor frames (engine/vmm/kit/kit_state.cpp), and the P2M's
// device frame. The shadow tables and descriptor tables themselves are in machine memory.
#include "engine/vmm/core/vm.h"
#include "engine/vmm/kit/kit_state.h"
#include "modes/full-emulation/trap_mode.h"

namespace vmlab::modes {
namespace {
constexpr uint8_t kTrapStateVersion = 1;
}  // namespace

void TrapMode::save_monitor(const vmm::Vm& /*vm*/, cpu::ByteWriter& w) const {
  w.u8(kTrapStateVersion);
  vmm::save_p2m_device(*p2m_, w);
  monitor_->save_state(w);
}

machine::Result<void> TrapMode::load_monitor(vmm::Vm& /*vm*/, cpu::ByteReader& r) {
  if (r.u8() != kTrapStateVersion) return machine::Error{"another trap state version", EINVAL};
  vmm::load_p2m_device(*p2m_, r);
  monitor_->load_state(r);
  if (r.failed()) return machine::Error{"malformed trap monitor state", EINVAL};
  return {};
}

}  // namespace vmlab::modes
