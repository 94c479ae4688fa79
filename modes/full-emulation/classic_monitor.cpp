#include "modes/full-emulation/classic_monitor.h"

#include <string>

#include "engine/vmm/core/sensitive_stop_note.h"

namespace vmlab::modes {

using vmm::PrivilegedEmulator;

// The monitor's dispatch: every exception and interrupt of the guest comes here first.
bool ClassicMonitor::on_interrupt(uint8_t vector, cpu::EventSource source, bool has_error_code,
                                  uint32_t error_code) {
  record_trap(vector, has_error_code, error_code);
  switch (source) {
    case cpu::EventSource::kExternal: injector_.deliver_or_queue_external(vector); break;
    case cpu::EventSource::kNmi:
      // The guest's virtual NMI, through its own gate 2 whatever its virtual IF says; the
      // processor blocks further NMIs until the guest's IRET (cpu.h, raise_nmi).
      injector_.deliver(vector, vmm::GuestEventInjector::Kind::kExternal, false, 0);
      break;
    case cpu::EventSource::kSoftware:
    case cpu::EventSource::kInt3:
    case cpu::EventSource::kInto:
      // The real IDT is the monitor's: INT n (the guest's int 0x80 from ring 3) goes to the
      // gate of the guest's own IDT, with the guest's DPL check.
      injector_.deliver(vector, vmm::GuestEventInjector::Kind::kSoftware, false, 0);
      break;
    case cpu::EventSource::kException:
      switch (vector) {
        case cpu::vec::GP:
          // In ring 1 a #GP is (nearly always) a privileged instruction of the guest
          // kernel; in ring 3 it is the guest's own business, unless it is port I/O that
          // the guest's IOPL or TSS I/O bitmap allows (the real ones forbid it).
          // Either way, an access that only the cut segments of ring compression refuse
          // (a linear address in the hypervisor hole) is executed for the guest.
          if (cpu_.state().cpl == 1) {
            general_protection(error_code);
          } else {
            vmm::settle(emulator_->or_hole_access(emulator_->emulate_user_io()), vector, error_code,
                        injector_);
          }
          break;
        case cpu::vec::SS:
          // A stack access in the hole (ESP near 4 GiB) meets the cut SS limit; so do the
          // guest kernel's IRET, far RET and POP SS reading there and its far CALL
          // pushing there (emulate_stack_fault).
          vmm::settle(emulator_->emulate_stack_fault(), vector, error_code, injector_);
          break;
        case cpu::vec::PF: page_fault(error_code); break;
        case cpu::vec::TS:
          // An IRET with the guest's NT set reads the link of the monitor's TSS (null):
          // the guest's return from a nested task (PrivilegedEmulator::task_return_fault).
          vmm::settle(emulator_->task_return_fault(error_code), vector, error_code, injector_);
          break;
        default: injector_.reflect_exception(vector, has_error_code, error_code); break;
      }
      break;
  }
  // On the way back to the guest: an interrupt that waited for the virtual IF goes in now
  // if the guest can take it (after STI, an IRET that set IF, or from ring 3).
  inject_pending();
  return true;
}

void ClassicMonitor::explain_stop(const vmm::Vm& vm, machine::RunResult& result) const {
  // On this processor the guest kernel's own PUSHF, SGDT, SMSW ... run in ring 1 and do not
  // trap: the note names them, and what closes the hole.
  vmm::add_sensitive_stop_note(vm, result, "(the VT CPU and binary translation virtualize them)");
}

void ClassicMonitor::general_protection(uint32_t error_code) {
  vmm::settle(emulator_->or_hole_access(emulator_->emulate_privileged()), cpu::vec::GP, error_code,
              injector_);
}

void ClassicMonitor::page_fault(uint32_t error_code) {
  const uint32_t lin = cpu_.state().cr2;  // the real CR2: the shadow's fault address
  if (accessed_bit_fault(lin, error_code, [] {})) return;
  if (lin >= vmm::hole::kBase && shadow_->has_hole()) {
    // The hole is the monitor's in the real address space, the guest's in its own: an
    // access there the guest's segments and tables allow is executed for it.
    const auto hole = emulator_->emulate_hole_access();
    if (hole.verdict != PrivilegedEmulator::Verdict::kNotEmulated) {
      vmm::settle(hole, cpu::vec::PF, error_code, injector_);
      return;
    }
  }
  const auto outcome = shadow_->page_fault(lin, error_code);
  switch (outcome.kind) {
    case vmm::ShadowMmu::FaultKind::kHidden: return;
    case vmm::ShadowMmu::FaultKind::kTrue:
      vcpu_.cr2 = lin;
      injector_.reflect_exception(cpu::vec::PF, true, outcome.guest_error_code);
      return;
    case vmm::ShadowMmu::FaultKind::kTrace:
    case vmm::ShadowMmu::FaultKind::kEmulateWrite:
    case vmm::ShadowMmu::FaultKind::kDevice:  // a device page (device_pages.h) below the hole
      vmm::settle(emulator_->emulate_write(), cpu::vec::PF, error_code, injector_);
      return;
  }
}

}  // namespace vmlab::modes
