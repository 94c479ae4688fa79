// The hardware side of a virtual machine monitor.
//
// On a machine run by a VMM, the real IDT belongs to the monitor: every exception and
// every interrupt enters the monitor first, which then emulates the faulting instruction,
// fills a shadow page table, reflects the event into the guest's own IDT, or queues a
// virtual interrupt (Adams & Agesen 2006, section 2; DESIGN.md "engine/cpu"). In vmlab the
// monitor is host code, so "entering the monitor" is a call through this interface; the
// modes charge its cost through the cost model.
#pragma once

#include <array>
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
  // Whether the guest can take an external interrupt now. A monitor that virtualizes the
  // interrupt flag (the real IF stays 1 while the guest's is clear) answers false while
  // the guest's flag is clear: the processor then leaves the interrupt in the interrupt
  // controller, unacknowledged, and looks again after every instruction until the window
  // opens, as VT-x's interrupt-window exiting does. Acknowledging early would freeze the
  // vector before the guest has, say, reprogrammed the PIC.
  virtual bool interrupt_window_open() { return true; }

  // Software-interrupt vectors the monitor has delegated to the real IDT: an INT n with
  // such a vector goes straight through the IDT gate the monitor installed, without
  // calling on_interrupt. This is how a paravirtual monitor gives the guest Xen's fast
  // system-call path (Barham et al. 2003, section 3.3: the system-call handler is
  // installed directly in the hardware IDT). Exceptions and external interrupts always
  // enter the monitor, whatever their vector. Nothing is delegated by default.
  bool delegates_software_vector(uint8_t vector) const {
    return (delegated_[vector >> 6] >> (vector & 63)) & 1;
  }

  // Software-interrupt vectors the monitor reserves for deliberate calls from its own code
  // below ring 3 (a binary translator's callouts, Adams & Agesen 2006 section 3.2): INT n
  // with such a vector from CPL 0-2 enters on_interrupt like any other, but the observer
  // does not report it as a guest software interrupt, since the guest never executed it.
  // The monitor records the callout itself. Nothing is reserved by default.
  bool is_monitor_call(uint8_t vector) const {
    return (monitor_calls_[vector >> 6] >> (vector & 63)) & 1;
  }
  // A write hit a physical page the processor was asked to watch (Cpu::watch_code_page):
  // the monitor's translations of code on that page are stale (self-modifying code). Called
  // once per watch, after the store; `page` is the machine page number.
  virtual void on_code_page_write(uint32_t /*page*/) {}
  // The processor is between two instructions and looks for events (after a write to a
  // watched code page, a change of IF, an interrupt window, a request_event_check()): the
  // monitor may move the guest between its execution engines here, e.g. out of a
  // translation that a store has just made stale. Not called on every instruction.
  virtual void at_event_check() {}
  // The guest's EIP for messages to the user, when the processor's is the monitor's own
  // (a binary translator runs the guest kernel from its translation cache).
  virtual uint32_t guest_eip(uint32_t eip) const { return eip; }

 protected:
  void set_monitor_call_vector(uint8_t vector) {
    monitor_calls_[vector >> 6] |= uint64_t{1} << (vector & 63);
  }
  void set_software_vector_delegated(uint8_t vector, bool delegated) {
    const uint64_t bit = uint64_t{1} << (vector & 63);
    if (delegated) {
      delegated_[vector >> 6] |= bit;
    } else {
      delegated_[vector >> 6] &= ~bit;
    }
  }

 private:
  std::array<uint64_t, 4> delegated_{};
  std::array<uint64_t, 4> monitor_calls_{};
};

}  // namespace vmlab::cpu
