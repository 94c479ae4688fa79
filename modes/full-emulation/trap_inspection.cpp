// Inspection (engine/vmm/core/inspection.h) of the VT trap mode: the processor's guest state,
// with the guest's own CR3 kept by the monitor under shadow paging. (On the classic CPU,
// the virtual CPU of ring compression: engine/vmm/kit/deprivileged_monitor.h.)
#include "engine/vmm/core/vm.h"
#include "modes/full-emulation/vt_mode.h"

namespace vmlab::modes {

vmm::GuestCpuView VtMode::guest_cpu(const vmm::Vm& vm) const {
  vmm::GuestCpuView v = Mode::guest_cpu(vm);
  // Shadow paging: the processor's CR3 is the shadow root; the guest's is the monitor's.
  if (paging_ == VtPaging::kShadow && shadow_) v.cr3 = vcpu_.cr3;
  return v;
}

}  // namespace vmlab::modes
