// The hardware side of a virtual machine monitor.
//
// On a machine run by a VMM, the real IDT belongs to the monitor: every exception and
// every interrupt enters the monitor first, which then emulates the faulting instruction,
// fills a shadow page table, reflects the event into the guest's own IDT, or queues a
// virtual interrupt (Adams & Agesen 2006, section 2; DESIGN.md "engine/cpu"). In vmlab the
// monitor is host code, so "entering the monitor" is a call through this interface; the
// modes charge its cost through the cost model.
#pragma once

#include <cstdint>

namespace vmlab::cpu {

enum class EventSource : uint8_t;

class Monitor {
 public:
  virtual ~Monitor() = default;
  // An exception, external interrupt or software interrupt is about to be delivered.
  // For a fault, EIP already points at the faulting instruction; for INT n and traps, at
  // the next one. Return true when the monitor dealt with it (the processor continues with
  // the state the monitor left); false to deliver it through the real IDT as the hardware
  // would. A CpuFault escaping from here counts as a fault during delivery (double-fault
  // rules), so a monitor that wants the guest to see an exception delivers it itself.
  virtual bool on_interrupt(uint8_t vector, EventSource source, bool has_error_code,
                            uint32_t error_code) = 0;
};

}  // namespace vmlab::cpu
