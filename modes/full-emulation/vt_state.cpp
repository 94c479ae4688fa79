// The VT monitor's saved state (docs/snapshots.md, "Loading a snapshot"). The processor's
// guest-mode state and VMX controls are the processor's (cpu::Cpu::save_internal); the
// shadow tables and the nested table are in machine memory. What lives on the host is
// saved here: the P2M's device frame, the free monitor frames in their order (so that a
// loaded run allocates the same frames as the saved one would have), the virtual CPU, the
// shadow MMU's roots and reverse maps, and the interrupts acknowledged but not injected.
#include "engine/vmm/core/vm.h"
#include "engine/vmm/kit/kit_state.h"
#include "modes/full-emulation/vt_mode.h"

namespace vmlab::modes {
namespace {
// Version 2 adds the virtual NMI held for the NMI window; a version-1 state loads without.
constexpr uint8_t kVtStateVersion = 2;
}  // namespace

void VtMonitor::save(cpu::ByteWriter& w) const {
  w.u32(static_cast<uint32_t>(pending_.size()));
  for (uint8_t v : pending_) w.u8(v);
  w.boolean(nmi_pending_);
}

void VtMonitor::load(cpu::ByteReader& r, uint8_t version) {
  const uint32_t n = r.u32_at_most(4096);
  pending_.clear();
  for (uint32_t i = 0; i < n && !r.failed(); ++i) pending_.push_back(r.u8());
  nmi_pending_ = version >= 2 && r.boolean();
}

void VtMode::save_monitor(const vmm::Vm& /*vm*/, cpu::ByteWriter& w) const {
  w.u8(kVtStateVersion);
  w.u8(static_cast<uint8_t>(paging_));
  vmm::save_p2m_device(*p2m_, w);
  frames_->save(w);
  vmm::save_vcpu(vcpu_, w);
  w.boolean(shadow_ != nullptr);
  if (shadow_) shadow_->save(w);
  monitor_->save(w);
}

machine::Result<void> VtMode::load_monitor(vmm::Vm& /*vm*/, cpu::ByteReader& r) {
  const uint8_t version = r.u8();
  if (version != 1 && version != kVtStateVersion) {
    return machine::Error{"another VT state version", EINVAL};
  }
  if (r.u8() != static_cast<uint8_t>(paging_)) {
    return machine::Error{"saved with the other kind of paging", EINVAL};
  }
  vmm::load_p2m_device(*p2m_, r);
  frames_->load(r);
  vmm::load_vcpu(vcpu_, r);
  if (r.boolean() != (shadow_ != nullptr)) r.fail();
  if (shadow_ && !r.failed()) shadow_->load(r);
  monitor_->load(r, version);
  if (r.failed()) return machine::Error{"malformed VT monitor state", EINVAL};
  return {};
}

}  // namespace vmlab::modes
