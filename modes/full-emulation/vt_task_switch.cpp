// Reason 9, task switch: the VT monitor performs the guest's hardware task switch.
//
// On VT-x every task switch in guest mode exits, with the selector of the new TSS and the
// source (CALL, IRET, JMP or an IDT task gate) in the qualification (SDM Vol. 3C 25.4.2 and
// 27.2.1, table 27-2) and, for a task gate, the event in the IDT-vectoring information
// (27.2.4); the monitor emulates the switch, as KVM does. Here the processor made the
// checks before the switch (engine/cpu/task_checks.h) before it exited, so their faults were
// the guest's already, and the monitor has the processor model's own routine
// (Cpu::switch_task, SDM Vol. 3A 7.3) perform the rest on the guest's state: under nested
// paging on the processor itself, whose accesses go through the guest's page tables and
// the nested table; under shadow paging on the scratch processor (PrivilegedEmulator::
// task_switch), its stores committed through the shadow MMU and the new task's CR3 loaded
// into it. A fault before the commit point is the old task's at the instruction; after it,
// the new task's, with the double-fault rules of an event whose delivery it interrupted
// (SDM Vol. 3A table 6-5).
#include <optional>
#include <string>

#include "engine/cpu/descriptor.h"
#include "engine/cpu/task_switch.h"
#include "modes/full-emulation/vt_monitor.h"

namespace vmlab::modes {

namespace {

using cpu::vmx::InterruptionType;

bool is_software(InterruptionType t) {
  return t == InterruptionType::kSoftwareInterrupt || t == InterruptionType::kSoftwareException ||
         t == InterruptionType::kPrivilegedSoftwareException;
}

bool contributory(uint8_t v) {
  return v == cpu::vec::DE || (v >= cpu::vec::TS && v <= cpu::vec::GP);
}

}  // namespace

void VtMonitor::task_switch(const cpu::VmExit& exit) {
  const auto selector = static_cast<uint16_t>(exit.qualification);
  const auto source = static_cast<cpu::TaskSource>(exit.qualification >> 30);
  const cpu::vmx::Interruption& ev = exit.idt_vectoring;
  const bool gate = source == cpu::TaskSource::kIdtGate;
  // The old task resumes after the JMP, CALL or IRET, and after an INT n, INT3 or INTO
  // whose gate it was (the exit's instruction length); at the faulting or interrupted
  // instruction otherwise.
  const bool past = !gate || (ev.valid && is_software(ev.type));
  const uint32_t eip = cpu_.state().eip + (past ? exit.instruction_length : 0);
  const bool has_error_code = gate && ev.valid && ev.has_error_code;
  const uint32_t error_code = has_error_code ? ev.error_code : 0;
  // The event through the gate is delivered by the switch (or replaced by its fault).
  delivered_ = true;
  cpu_.state().interrupt_shadow = false;

  bool committed = false;
  std::optional<uint32_t> cr3;
  vmm::PrivilegedEmulator::Outcome fault;
  if (emulator_) {
    const auto out = emulator_->task_switch(selector, source, eip, has_error_code, error_code);
    committed = out.committed;
    cr3 = out.cr3;
    fault = out.fault;
  } else {
    committed = switch_in_place(selector, source, eip, has_error_code, error_code, fault);
  }
  if (committed) {
    cpu_.state().halted = false;
    cpu_.state().cr0 |= cpu::cr0::TS;  // the guest's own bit (not in the CR0 mask)
    if (vcpu_) vcpu_->cr0 |= cpu::cr0::TS;
    if (cr3 && vcpu_ && (vcpu_->cr0 & cpu::cr0::PG)) {
      // The new task's PDBR, through the shadow MMU as a MOV to CR3 (cr_access).
      const uint32_t old = vcpu_->cr3;
      vcpu_->cr3 = *cr3 & 0xFFFFF018u;
      vm_.recorder().record(vmm::EventKind::cr3_switch, {old, vcpu_->cr3, 0, 0});
      vm_.recorder().record(vmm::EventKind::tlb_flush, {0, 0, 0, 0});
      shadow_->activate();
    }
  }
  if (fault.verdict != vmm::PrivilegedEmulator::Verdict::kFault) return;
  if (fault.vector == cpu::vec::PF && emulator_) cpu_.state().cr2 = vcpu_->cr2;
  uint8_t vector = fault.vector;
  bool has_code = fault.has_error_code;
  uint32_t code = fault.error_code;
  if (gate && ev.valid && !is_software(ev.type)) {
    // A fault while the processor delivered an exception or interrupt through the gate
    // (SDM Vol. 3A 6.13: the EXT bit; table 6-5: a double fault, or shutdown after one).
    if (has_code && (vector == cpu::vec::TS || vector == cpu::vec::NP || vector == cpu::vec::SS ||
                     vector == cpu::vec::GP)) {
      code |= 1;
    }
    if (ev.type == InterruptionType::kHardwareException) {
      const bool first_contributory = contributory(ev.vector);
      if (ev.vector == cpu::vec::DF) {
        cpu_.shutdown("triple fault in the guest: exception " + std::to_string(vector) +
                      " while its processor switched tasks for a double fault");
        return;
      }
      if ((first_contributory && contributory(vector)) ||
          (ev.vector == cpu::vec::PF && (contributory(vector) || vector == cpu::vec::PF))) {
        vector = cpu::vec::DF;
        has_code = true;
        code = 0;
      }
    }
  }
  inject_exception(vector, has_code, code);
}

bool VtMonitor::switch_in_place(uint16_t selector, cpu::TaskSource source, uint32_t eip,
                                bool has_error_code, uint32_t error_code,
                                vmm::PrivilegedEmulator::Outcome& fault) {
  // Nested paging: the guest's page tables are the processor's, so the processor performs
  // the switch in guest mode, CR3 included. A write the migration's tracker watches exits
  // (nested_dirty.h): it is recorded and the switch starts again from the same state.
  const cpu::CpuState start = cpu_.state();
  cpu_.set_task_switching(cpu::TaskSwitching::kMonitorPerforms);
  bool committed = false;
  for (unsigned attempt = 0;; ++attempt) {
    cpu_.state().eip = eip;
    try {
      cpu::Descriptor d;
      if ((selector & 4) || !cpu_.fetch_descriptor(selector, d.raw)) {
        cpu_.fault_gp(cpu::selector_error(selector));
      }
      cpu_.switch_task({selector, d}, source, has_error_code, error_code);
      committed = true;
      break;
    } catch (const cpu::CpuFault& f) {
      committed = cpu_.task_switch_committed();
      if (!committed) {
        const uint32_t cr2 = cpu_.state().cr2;  // a #PF's, the guest's own register
        cpu_.state() = start;
        cpu_.state().cr2 = cr2;
      }
      fault = {vmm::PrivilegedEmulator::Verdict::kFault, f.vector, f.has_error_code, f.error_code};
      break;
    } catch (const cpu::VmExitSignal& x) {
      cpu_.state() = start;
      if (attempt < 16 && nested_tracker_ &&
          nested_tracker_->on_violation(x.exit, exit_overhead_)) {
        continue;
      }
      cpu_.set_task_switching(cpu::TaskSwitching::kPerform);
      cpu_.unsupported("a task switch the VT monitor cannot perform: VM exit reason " +
                       std::to_string(static_cast<unsigned>(x.exit.reason)) + " during it");
    }
  }
  cpu_.set_task_switching(cpu::TaskSwitching::kPerform);
  return committed;
}

}  // namespace vmlab::modes
