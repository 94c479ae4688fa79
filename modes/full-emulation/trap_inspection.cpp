// Inspection (engine/vmm/inspection.h) of the trap modes: on the classic CPU the virtual
// CPU of ring compression; on the VT CPU the processor's guest state, with the guest's own
// CR3 kept by the monitor under shadow paging.
#include "engine/vmm/vm.h"
#include "modes/full-emulation/trap_mode.h"
#include "modes/full-emulation/vt_mode.h"

namespace vmlab::modes {

vmm::GuestCpuView TrapMode::guest_cpu(const vmm::Vm& vm) const {
  if (!monitor_) return Mode::guest_cpu(vm);
  return vmm::ring_compressed_view(vm, monitor_->vcpu());
}

vmm::GuestCpuView VtMode::guest_cpu(const vmm::Vm& vm) const {
  vmm::GuestCpuView v = Mode::guest_cpu(vm);
  // Shadow paging: the processor's CR3 is the shadow root; the guest's is the monitor's.
  if (paging_ == VtPaging::kShadow && shadow_) v.cr3 = vcpu_.cr3;
  return v;
}

}  // namespace vmlab::modes
