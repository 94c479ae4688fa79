// A hardware task switch the monitor performs for its guest (the VT monitor under shadow
// paging: VM exit reason 9, SDM Vol. 3C 25.4.2 and 27.2.1 table 27-2).
//
// The processor model's own routine (engine/cpu/task_switch.cpp: Cpu::switch_task, with the
// SDM Vol. 3A 7.3 steps and table 7-1's checks) runs on the scratch processor
// (scratch_execution.h) in the guest's state: the guest's TSSes, GDT, descriptors and new
// stack are reached through the guest's own page tables, page by page on demand (a walk
// the guest's tables refuse is the guest's #PF), and every store is logged. The monitor
// then commits the stores through the shadow MMU (a TSS or GDT on a page it traces is
// written as the guest's page-table writes are), copies the new task's registers, TR and
// LDTR back, and loads the new task's CR3 into the shadow MMU, which the scratch processor
// left alone (cpu::TaskSwitching::kMonitorKeepsCr3): the accesses after the commit point
// (descriptors, the error code's push) go through the old task's page tables, the same as
// the new task's wherever the two map the GDT and the new stack alike.
#include "engine/cpu/descriptor.h"
#include "engine/cpu/task_switch.h"
#include "engine/vmm/kit/privileged_emulator.h"
#include "engine/vmm/kit/scratch_execution.h"

namespace vmlab::vmm {

PrivilegedEmulator::TaskSwitchOutcome PrivilegedEmulator::task_switch(uint16_t selector,
                                                                      cpu::TaskSource source,
                                                                      uint32_t eip,
                                                                      bool has_error_code,
                                                                      uint32_t error_code) {
  if (!scratch_) make_scratch();
  cpu::Cpu* scratch = nullptr;
  const ScratchExecution::Effects r = scratch_->perform([&](cpu::Cpu& c) {
    scratch = &c;
    c.set_task_switching(cpu::TaskSwitching::kMonitorKeepsCr3);
    c.state().eip = eip;
    // The descriptor the processor checked before it exited, read again from the guest's
    // GDT (the exit names the TSS, SDM Vol. 3C table 27-2).
    cpu::Descriptor d;
    if ((selector & 4) || !c.fetch_descriptor(selector, d.raw)) {
      c.fault_gp(cpu::selector_error(selector));
    }
    c.switch_task({selector, d}, source, has_error_code, error_code);
  });
  TaskSwitchOutcome out;
  if (scratch) {
    out.committed = scratch->task_switch_committed();
    out.cr3 = scratch->task_switch_cr3();
    scratch->set_task_switching(cpu::TaskSwitching::kStopAfterChecks);
  }
  if (!r.unsupported.empty()) {
    c_.cpu.unsupported("a task switch the monitor cannot perform: " + r.unsupported);
  }
  if (out.committed) {
    // The new task's state, and the stores up to a fault after the commit point, whose
    // fault the new task takes.
    apply(r);
    cpu::CpuState& s = c_.cpu.state();
    s.tr = r.state.tr;
    s.ldtr = r.state.ldtr;
  }
  if (r.retired) return out;
  if (r.guest_page_fault) {
    out.fault = page_fault({r.fault_linear, r.error_code});
  } else {
    out.fault = {Verdict::kFault, r.vector, r.has_error_code, r.error_code};
  }
  return out;
}

}  // namespace vmlab::vmm
