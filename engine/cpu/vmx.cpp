// Guest mode: VM entry and exit, the exception bitmap, interrupt recognition with
// external-interrupt and interrupt-window exiting, and event injection (vmx.h).
//
// SDM Vol. 3C: 25.2 (external interrupts and the interrupt window in VMX non-root
// operation), 26.6 (event injection on VM entry), 27.1-27.2 (what a VM exit saves: the
// instruction's own EIP, the qualification), 27.2.4 (IDT-vectoring information).
#include "engine/cpu/cpu.h"

namespace vmlab::cpu {

void Cpu::enter_guest_mode() {
  guest_mode_ = true;
  vm_controls_changed();
}

void Cpu::leave_guest_mode() {
  guest_mode_ = false;
  vm_controls_changed();
}

void Cpu::vm_controls_changed() {
  // The translation regime may have changed (nested paging on or off, a new nested
  // root): nothing cached under the old one may survive.
  nested_active_ = guest_mode_ && vmcs_.nested_paging;
  for (TlbEntry& e : tlb_) e.tag = 0xFFFFFFFFu;
  tlb_has_large_ = false;
  ++tlb_epoch_;
  check_events_ = true;
}

void Cpu::vm_exit(vmx::ExitReason reason, uint32_t qualification, uint8_t instruction_length) {
  VmExit x;
  x.reason = reason;
  x.qualification = qualification;
  x.instruction_length = instruction_length;
  throw VmExitSignal{x};
}

void Cpu::vm_exit(const VmExit& exit) {
  throw VmExitSignal{exit};
}

void Cpu::exit_if_intercepted(uint8_t vector, EventSource source, bool has_error_code,
                              uint32_t error_code, const vmx::Interruption& vectoring) {
  // External interrupts are not exceptions, and INT n is a software interrupt, not the
  // exception of its vector: neither consults the bitmap (SDM Vol. 3C, 25.2). INT3 and
  // INTO raise #BP and #OF, which do.
  // Nor does an NMI: NMI exiting decides (SDM Vol. 3C, 25.2).
  if (source == EventSource::kExternal || source == EventSource::kSoftware ||
      source == EventSource::kNmi) {
    return;
  }
  if (vector >= 32 || !(vmcs_.exception_bitmap & (1u << vector))) return;
  VmExit x;
  x.reason = vmx::ExitReason::kExceptionOrNmi;
  x.interruption = interruption_info(vector, source, has_error_code, error_code);
  x.idt_vectoring = vectoring;
  // A software exception (INT3, INTO) or privileged software exception (INT1) is reported
  // at its instruction with the instruction's length (SDM Vol. 3C, 27.2.5); EIP is already
  // past the instruction, whose first byte is insn_eip_.
  const vmx::InterruptionType type = x.interruption.type;
  if (type == vmx::InterruptionType::kSoftwareException ||
      type == vmx::InterruptionType::kPrivilegedSoftwareException) {
    x.instruction_length = static_cast<uint8_t>(s_.eip - insn_eip_);
  }
  throw VmExitSignal{x};
}

bool Cpu::service_guest_events() {
  // Journey stop 31: VM entry delivers the injected event (docs/journey.md).
  // VM entry with an event to inject: it is delivered through the guest's IDT before the
  // first guest instruction, whatever IF says (the monitor checked), and it ends a halt.
  if (vmcs_.injection.valid) {
    const vmx::Interruption ev = vmcs_.injection;
    vmcs_.injection.valid = false;
    insn_eip_ = s_.eip;
    s_.halted = false;
    s_.interrupt_shadow = false;
    EventSource source = EventSource::kException;
    switch (ev.type) {
      case vmx::InterruptionType::kExternal: source = EventSource::kExternal; break;
      case vmx::InterruptionType::kNmi: source = EventSource::kNmi; break;
      case vmx::InterruptionType::kSoftwareInterrupt: source = EventSource::kSoftware; break;
      case vmx::InterruptionType::kSoftwareException:
        source = ev.vector == vec::OF ? EventSource::kInto : EventSource::kInt3;
        break;
      default: break;
    }
    const bool software = source == EventSource::kSoftware || source == EventSource::kInt3 ||
                          source == EventSource::kInto;
    // A software interrupt, software exception or privileged software exception (INT1)
    // returns to the instruction after it: the VM-entry instruction length says where
    // (SDM Vol. 3C, 26.6.1.3).
    if (software || ev.type == vmx::InterruptionType::kPrivilegedSoftwareException) {
      s_.eip += vmcs_.injection_instruction_length;
    }
    // Injecting an NMI with virtual NMIs blocks virtual NMIs (SDM Vol. 3C, 26.6.1.2),
    // from the start of the delivery, as natively (cpu.cpp).
    if (ev.type == vmx::InterruptionType::kNmi && vmcs_.virtual_nmis) nmi_blocked_ = true;
    deliver_event(ev.vector, source, ev.has_error_code, ev.error_code, true);
  }
  // After STI or MOV SS nothing is recognized until the next instruction retires.
  if (s_.interrupt_shadow) return false;
  // An NMI at the processor's input: an exit with NMI exiting (it is not the guest's to
  // block), else delivered through the guest's IDT unless NMIs are blocked. Before
  // external interrupts and the windows (SDM Vol. 3A, table 6-2; Vol. 3C, 25.2).
  if (nmi_pending_ && (vmcs_.nmi_exiting || !nmi_blocked_)) {
    nmi_pending_ = false;
    s_.halted = false;
    insn_eip_ = s_.eip;
    if (vmcs_.nmi_exiting) {
      VmExit x;
      x.reason = vmx::ExitReason::kExceptionOrNmi;
      x.interruption = interruption_info(vec::NMI, EventSource::kNmi, false, 0);
      vm_exit(x);
    }
    nmi_blocked_ = true;
    check_events_ = true;
    deliver_interrupt(vec::NMI, EventSource::kNmi, false, 0);
    return false;
  }
  // NMI-window exiting: the guest can take a virtual NMI (SDM Vol. 3C, 25.2, "NMI-Window
  // Exiting"), before external interrupts and the interrupt window.
  if (vmcs_.nmi_window_exiting && vmcs_.virtual_nmis && !nmi_blocked_) {
    s_.halted = false;
    insn_eip_ = s_.eip;
    vm_exit(vmx::ExitReason::kNmiWindow, 0);
  }
  if (vmcs_.external_interrupt_exiting) {
    // IF does not block the exit (SDM Vol. 3C, 25.2): the monitor decides when the guest
    // can take the interrupt. It stays pending at the controller until acknowledged.
    if (bus_.intr_pending()) {
      s_.halted = false;
      insn_eip_ = s_.eip;
      vm_exit(vmx::ExitReason::kExternalInterrupt, 0);
    }
  } else if ((s_.eflags & flags::IF) && !vmcs_.interrupt_window_exiting && bus_.intr_pending()) {
    // An interrupt-window exit takes priority over an external interrupt (SDM Vol. 3C,
    // "Interrupt-Window Exiting": "VM exits caused by this control take priority over
    // external interrupts and lower priority events"); it is taken below.
    const uint8_t vector = bus_.intr_acknowledge();
    s_.halted = false;
    insn_eip_ = s_.eip;
    deliver_interrupt(vector, EventSource::kExternal, false, 0);
  }
  if (vmcs_.interrupt_window_exiting && (s_.eflags & flags::IF)) {
    s_.halted = false;
    insn_eip_ = s_.eip;
    vm_exit(vmx::ExitReason::kInterruptWindow, 0);
  }
  if (s_.halted) {
    check_events_ = true;
    run_end_ = RunEnd::kHalted;
    return true;
  }
  return false;
}

void Cpu::deliver_fault_in_guest(const CpuFault& f) {
  try {
    deliver_interrupt(f.vector, EventSource::kException, f.has_error_code, f.error_code);
  } catch (const VmExitSignal& x) {
    exit_to_monitor(x.exit);
  }
}

// Journey stop 29: the VM exit, handed to the monitor (docs/journey.md).
void Cpu::exit_to_monitor(VmExit exit) {
  // A VM exit saves the EIP of the instruction that exited or faulted (or, between
  // instructions, of the next one to execute): nothing of it has happened.
  s_.eip = insn_eip_;
  // The guest interruptibility state is saved on every VM exit and loaded on every VM
  // entry (SDM Vol. 3C, 24.4.2 and 26.3.1.5): an instruction that exits inside the shadow
  // of STI or MOV SS, without retiring, keeps that blocking, so that the monitor cannot
  // inject an interrupt before it retires and it runs again shadowed on entry. An exit
  // incident to the delivery of an event saves none: blocking by STI or MOV SS ends when
  // the guest executes one instruction or incurs an event (SDM Vol. 3C, 26.6.1), and the
  // exit saves the state as it then is (27.3.4). A monitor that emulates the instruction
  // and moves EIP past it clears the blocking itself, as VMMs do.
  s_.interrupt_shadow = shadowed_icount_ == icount_ && !exit.idt_vectoring.valid &&
                        exit.reason != vmx::ExitReason::kExternalInterrupt &&
                        exit.reason != vmx::ExitReason::kInterruptWindow &&
                        exit.reason != vmx::ExitReason::kNmiWindow &&
                        exit.interruption.type != vmx::InterruptionType::kNmi;
  exit.guest_eip = s_.eip;
  ++vm_exits_;
  check_events_ = true;
  // A guest can never hang the host: a monitor that keeps exiting without letting a
  // single instruction retire is stopped (the guard is shared with exception storms).
  no_progress_event("VM exits", "reason", static_cast<unsigned>(exit.reason));
  if (!vmx_monitor_) unsupported("a VM exit with no monitor attached to handle it");
  try {
    vmx_monitor_->on_vm_exit(exit);
  } catch (const CpuFault& f) {
    // A monitor delivers what the guest should see by injection; a fault escaping it is
    // a monitor bug, stopped here rather than shown to the guest.
    unsupported("the monitor raised exception " + std::to_string(f.vector) +
                " while handling VM exit reason " +
                std::to_string(static_cast<unsigned>(exit.reason)));
  } catch (const VmExitSignal& x) {
    unsupported("the monitor caused VM exit reason " +
                std::to_string(static_cast<unsigned>(x.exit.reason)) +
                " while handling one (a nested-paging or shadow fault in monitor code)");
  }
}

}  // namespace vmlab::cpu
