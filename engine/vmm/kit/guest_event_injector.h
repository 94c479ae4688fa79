// GuestEventInjector: delivering an exception or interrupt through the guest's own IDT.
//
// Under a monitor the real IDT is the monitor's, so every event enters the monitor first.
// What the guest must see (a true page fault, a #GP from user mode, INT 0x80, the timer)
// the monitor then delivers itself, building the frame exactly as the processor would
// (SDM Vol. 3A 6.12.1: the gate checks, the stack switch through the guest TSS's SS0:ESP0
// when coming from ring 3, the EFLAGS/CS/EIP (error code) frame, IF cleared by interrupt
// gates) and entering the handler in ring 1 instead of ring 0 (ring compression). The
// frame holds what the guest believes: the interrupted CS with RPL 0 when the guest
// kernel was interrupted, and the virtual IF. That RPL 0 is also what makes the guest's
// IRET trap, so that the monitor can give it back its virtual IF.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>

#include "engine/cpu/cpu.h"
#include "engine/vmm/core/recorder.h"
#include "engine/vmm/core/vcpu.h"
#include "engine/vmm/kit/deprivileged_segments.h"
#include "engine/vmm/kit/guest_memory.h"

namespace vmlab::vmm {

class GuestEventInjector {
 public:
  enum class Kind : uint8_t { kException, kExternal, kSoftware };

  GuestEventInjector(cpu::Cpu& cpu, Recorder& recorder, VirtualCpu& vcpu, GuestMemory& memory,
                     DeprivilegedSegments& segments)
      : cpu_(cpu), recorder_(recorder), vcpu_(vcpu), memory_(memory), segments_(segments) {}

  // Delivers `vector` into the guest and records virq_inject. A fault while delivering
  // follows the processor's rules (a second fault, a double fault, and a triple fault that
  // shuts the processor down); for a #PF the caller sets the virtual CR2 first.
  void deliver(uint8_t vector, Kind kind, bool has_error_code, uint32_t error_code);
  // Whether the guest would take an external interrupt now: in ring 3 (where the real
  // IF is the guest's), or in its kernel with the virtual IF set.
  bool can_take_interrupt() const;
  // Delivers the oldest pending external interrupt when the guest can take it.
  void inject_pending();
  // An external interrupt the real processor took while the guest ran (the PIC has already
  // answered INTA): delivered now if the guest can take it, else queued until its virtual
  // IF allows (inject_pending).
  void deliver_or_queue_external(uint8_t vector);
  // The monitor's task switch for an event through a task gate of the guest's IDT
  // (PrivilegedEmulator::gate_task_switch, once the gate and its TSS passed the checks
  // here): true when the new task runs; false with the fault, which the delivery's rules
  // then take (EXT, a double fault). Without one a task gate stops the run.
  using TaskGateSwitch =
      std::function<bool(uint16_t tss_selector, bool has_error_code, uint32_t error_code,
                         uint8_t& fault_vector, uint32_t& fault_code)>;
  void set_task_gate_switch(TaskGateSwitch f) { task_gate_switch_ = std::move(f); }
  // Reflects an exception that belongs to the guest through its own IDT.
  void reflect_exception(uint8_t vector, bool has_error_code, uint32_t error_code) {
    deliver(vector, Kind::kException, has_error_code, error_code);
  }

 private:
  // One delivery attempt; false (with the fault in the out-parameters) when the guest's
  // own structures fault, as they would natively.
  bool try_deliver(uint8_t vector, Kind kind, bool has_error_code, uint32_t error_code,
                   uint8_t& fault_vector, uint32_t& fault_code);

  cpu::Cpu& cpu_;
  Recorder& recorder_;
  VirtualCpu& vcpu_;
  GuestMemory& memory_;
  DeprivilegedSegments& segments_;
  TaskGateSwitch task_gate_switch_;
};

}  // namespace vmlab::vmm
