// Inspection (engine/vmm/core/inspection.h) of pv: the kernel in ring 1, its "IF" the event
// upcall mask in the shared-info page, its CR3 the page directory it pinned (a machine
// address: direct paging).
#include "engine/vmm/core/vcpu.h"
#include "engine/vmm/core/vm.h"
#include "modes/paravirt/event_channels.h"
#include "modes/paravirt/pv_mode.h"
#include "modes/paravirt/pv_monitor.h"

namespace vmlab::modes::paravirt {

vmm::GuestCpuView PvMode::guest_cpu(const vmm::Vm& vm) const {
  vmm::GuestCpuView v = Mode::guest_cpu(vm);
  if (!monitor_) return v;
  v.cpl = vmm::VirtualCpu::virtual_cpl(v.hardware.cpl);
  v.interrupts_enabled = !monitor_->events().upcall_mask();
  v.eflags = (v.eflags & ~cpu::flags::IF) | (v.interrupts_enabled ? cpu::flags::IF : 0u);
  v.cr3 = monitor_->cr3();
  v.deprivileged = true;
  return v;
}

}  // namespace vmlab::modes::paravirt
