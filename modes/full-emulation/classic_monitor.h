// ClassicMonitor: trap-and-emulate on a classic IA-32 processor (no VT), the monitor half
// of `vmlab run --mode trap --cpu classic` (DESIGN.md, "The modes"; docs/modes/
// trap-and-emulate.md follows one trap through this file).
//
// The guest kernel runs in ring 1 on the shadow GDT (ring compression), with the real
// IOPL 0 and the real IF 1. The processor hands every exception and interrupt to
// on_interrupt() before any IDT (cpu::Monitor), and the monitor decides, in one switch:
//   #GP from the guest kernel  -> decode with Capstone and emulate (PrivilegedEmulator)
//   #PF                        -> shadow MMU: hidden (fill), trace (emulate the PTE
//                                 store), or true (reflect with the guest's CR2)
//   an external interrupt      -> inject through the guest's IDT if its virtual IF allows,
//                                 else keep it pending until STI / IRET / HLT
//   INT n, and every other exception -> reflect through the guest's IDT
// Everything the guest believes about privileged state lives in the VirtualCpu; the parts
// (and init, start, the accessors) are the deprivileged monitor's (engine/vmm/
// deprivileged_monitor.h), shared with binary translation.
#pragma once

#include <cstdint>

#include "engine/machine/run_result.h"
#include "engine/vmm/core/p2m.h"
#include "engine/vmm/core/vm.h"
#include "engine/vmm/kit/deprivileged_monitor.h"

namespace vmlab::modes {

class ClassicMonitor : public vmm::DeprivilegedMonitor {
 public:
  ClassicMonitor(vmm::Vm& vm, const vmm::P2m& p2m) : DeprivilegedMonitor(vm, p2m) {}

  // cpu::Monitor
  bool on_interrupt(uint8_t vector, cpu::EventSource source, bool has_error_code,
                    uint32_t error_code) override;

  // A guest that halts for good, storms, shuts down or exits failing after sensitive
  // instructions ran in ring 1 (or 3) without a trap: the stop message says that this is the
  // Popek-Goldberg hole of the classic processor and names the last such instructions
  // (vmm::add_sensitive_stop_note).
  void explain_stop(const vmm::Vm& vm, machine::RunResult& result) const;

 private:
  // classic_monitor.cpp: the handlers of on_interrupt's switch.
  void general_protection(uint32_t error_code);
  void page_fault(uint32_t error_code);
};

}  // namespace vmlab::modes
