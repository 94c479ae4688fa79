#include "modes/full-emulation/classic_monitor.h"

#include <cstdio>
#include <string>

namespace vmlab::modes {

using vmm::PrivilegedEmulator;

namespace {

// The sensitive, unprivileged instructions the processor reports (cpu::Cpu::
// report_sensitive), by opcode and ModRM.reg: Robin and Irvine (2000) list them as the
// reasons the IA-32 fails Popek and Goldberg's condition.
std::string sensitive_name(uint16_t opcode, uint8_t reg) {
  switch (opcode) {
    case 0x9C: return "pushf";
    case 0x9D: return "popf";
    case 0x0E: return "push cs";
    case 0x16: return "push ss";
    case 0x8C: return reg == 1 ? "mov r/m, cs" : "mov r/m, ss";
    case 0x100: {
      static const char* const k[8] = {"sldt", "str", "", "", "verr", "verw", "", ""};
      if (*k[reg & 7]) return k[reg & 7];
      break;
    }
    case 0x101: {
      static const char* const k[8] = {"sgdt", "sidt", "", "", "smsw", "", "", ""};
      if (*k[reg & 7]) return k[reg & 7];
      break;
    }
    case 0x102: return "lar";
    case 0x103: return "lsl";
    default: break;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "opcode 0x%X /%u", opcode, reg);
  return buf;
}

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

}  // namespace

// The monitor's dispatch: every exception and interrupt of the guest comes here first.
bool ClassicMonitor::on_interrupt(uint8_t vector, cpu::EventSource source, bool has_error_code,
                                  uint32_t error_code) {
  record_trap(vector, has_error_code, error_code);
  switch (source) {
    case cpu::EventSource::kExternal: injector_.deliver_or_queue_external(vector); break;
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
          // A stack access in the hole (ESP near 4 GiB) meets the cut SS limit.
          vmm::settle(emulator_->emulate_hole_access(), vector, error_code, injector_);
          break;
        case cpu::vec::PF: page_fault(error_code); break;
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
  // Only a guest that stopped making progress (halted for good with its interrupts off, or
  // idle with nothing that can wake it) or failed: a shutdown, or a non-zero status at the
  // exit port (a guest kernel's panic, e.g. a double fault after a PUSHF read IF = 1 and
  // its restore enabled interrupts before it had programmed its interrupt controller).
  const bool stuck = result.reason == machine::StopReason::kHaltedInterruptsDisabled ||
                     result.reason == machine::StopReason::kHaltedNothingToWake;
  const bool failed =
      result.reason == machine::StopReason::kTripleFault ||
      (result.reason == machine::StopReason::kExitPort && result.exit_value.value_or(0) != 0);
  if (!stuck && !failed) return;
  // The observer's tally decides and words the message (state, not the event counters).
  const uint64_t count = vm.observer().sensitive_seen();
  if (count == 0) return;
  std::string last;
  for (const auto& s : vm.observer().recent_sensitive()) {
    if (!last.empty()) last += ", ";
    last += sensitive_name(s.opcode, s.reg) + " at EIP " + hex(s.eip);
  }
  // Popek and Goldberg (1974): an architecture is virtualizable by trap-and-emulate only if
  // every sensitive instruction is privileged. On this processor these ran in ring 1
  // without trapping, so the guest kernel saw the real state (PUSHF after CLI reads IF = 1,
  // SGDT the monitor's GDT) instead of its own, and may have decided wrongly from it.
  result.message += "; the guest kernel ran " + std::to_string(count) + " sensitive instruction" +
                    (count == 1 ? "" : "s") +
                    " in ring 1 without a trap (the Popek-Goldberg hole of the classic CPU: it "
                    "saw the real flags and tables, not its own), the last: " +
                    last + " (the VT CPU and binary translation virtualize them)";
}

void ClassicMonitor::general_protection(uint32_t error_code) {
  vmm::settle(emulator_->or_hole_access(emulator_->emulate_privileged()), cpu::vec::GP, error_code,
              injector_);
}

void ClassicMonitor::page_fault(uint32_t error_code) {
  const uint32_t lin = cpu_.state().cr2;  // the real CR2: the shadow's fault address
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
    case vmm::ShadowMmu::FaultKind::kDevice:  // the APIC page mapped below the hole
      vmm::settle(emulator_->emulate_write(), cpu::vec::PF, error_code, injector_);
      return;
  }
}

}  // namespace vmlab::modes
