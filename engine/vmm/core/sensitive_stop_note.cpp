#include "engine/vmm/core/sensitive_stop_note.h"

#include <cstdio>

#include "engine/cpu/no_progress.h"
#include "engine/vmm/core/mode.h"
#include "engine/vmm/core/vm.h"

namespace vmlab::vmm {

namespace {

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

}  // namespace

// The sensitive, unprivileged instructions the processor reports (cpu::Cpu::
// report_sensitive): Robin and Irvine (2000) list them as the reasons the IA-32 fails
// Popek and Goldberg's condition.
std::string sensitive_mnemonic(uint16_t opcode, uint8_t reg) {
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

void add_sensitive_stop_note(const Vm& vm, machine::RunResult& result, std::string_view remedy) {
  // Only a guest that stopped making progress (halted for good, or stormed without an
  // instruction retiring) or failed: a shutdown, or a non-zero status at the exit port (a
  // guest kernel's panic, e.g. a double fault after a PUSHF read IF = 1 and its restore
  // enabled interrupts before it had programmed its interrupt controller).
  using machine::StopReason;
  const bool stuck = result.reason == StopReason::kHaltedInterruptsDisabled ||
                     result.reason == StopReason::kHaltedNothingToWake ||
                     (result.reason == StopReason::kUnsupported &&
                      result.message.find(cpu::kNoProgressWords) != std::string::npos);
  const bool failed =
      result.reason == StopReason::kTripleFault ||
      (result.reason == StopReason::kExitPort && result.exit_value.value_or(0) != 0);
  if (!stuck && !failed) return;
  // The observer's tally decides and words the message (state, not the event counters).
  const uint64_t count = vm.observer().sensitive_seen();
  if (count == 0) return;
  std::string last;
  for (const auto& s : vm.observer().recent_sensitive()) {
    if (!last.empty()) last += ", ";
    last += sensitive_mnemonic(s.opcode, s.reg) + " at EIP " + hex(s.eip) + " in ring " +
            std::to_string(s.cpl);
  }
  // Popek and Goldberg (1974): an architecture is virtualizable by trap-and-emulate only if
  // every sensitive instruction is privileged. These ran deprivileged without trapping, so
  // the guest saw the real state (PUSHF after CLI reads IF = 1, SGDT the monitor's GDT)
  // instead of its own, and may have decided wrongly from it.
  result.message += "; the guest ran " + std::to_string(count) + " sensitive instruction" +
                    (count == 1 ? "" : "s") +
                    " that did not trap (the Popek-Goldberg hole: deprivileged, they "
                    "behaved differently than where the guest believes it runs, showing the "
                    "real flags and tables, not its own), the last: " +
                    last;
  if (!remedy.empty()) {
    result.message += ' ';
    result.message += remedy;
  }
}

// The default of every mode: the note without a remedy (bt and pv record only what their
// guests run outside the monitor's reach: user code in ring 3, a PV kernel's own PUSHF).
void Mode::explain_stop(const Vm& vm, machine::RunResult& result) const {
  add_sensitive_stop_note(vm, result, "");
}

}  // namespace vmlab::vmm
