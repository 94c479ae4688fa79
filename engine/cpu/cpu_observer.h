// What the processor reports to whoever watches it: the VMM's event trace and counters.
//
// The processor is the hardware and knows nothing of traces; it calls these hooks at the
// few points where something a student wants to see happens. With no observer attached
// each hook costs one pointer test at an event, never anything per instruction.
#pragma once

#include <cstdint>

namespace vmlab::cpu {

enum class EventSource : uint8_t;

class CpuObserver {
 public:
  virtual ~CpuObserver() = default;
  // An exception, external interrupt or software interrupt is being delivered through the
  // IDT. `eip` is the EIP the frame will hold (the faulting instruction for faults, the
  // next one for traps and INT n), `cpl` the privilege level it came from.
  virtual void on_interrupt(uint8_t /*vector*/, EventSource /*source*/, bool /*has_error_code*/,
                            uint32_t /*error_code*/, uint32_t /*eip*/, uint8_t /*cpl*/) {}
  // MOV to CR0, CR3 or CR4 (and LMSW, CLTS) retired; old and new values.
  virtual void on_cr_write(uint8_t /*cr*/, uint32_t /*old_value*/, uint32_t /*new_value*/) {}
  // The TLB was flushed: a CR3 load (global entries kept) or a CR0/CR4 paging change.
  virtual void on_tlb_flush(bool /*including_global*/) {}
  // INVLPG retired for this linear address.
  virtual void on_invlpg(uint32_t /*linear*/) {}
  // A page fault is raised: faulting linear address and error code (before delivery).
  virtual void on_page_fault(uint32_t /*linear*/, uint32_t /*error_code*/) {}
  // The processor shut down (triple fault).
  virtual void on_shutdown() {}
  // A sensitive but unprivileged instruction (Robin & Irvine 2000: PUSHF, POPF, SGDT,
  // SIDT, SLDT, STR, SMSW, LAR, LSL, VERR, VERW, MOV r/m from CS or SS, PUSH CS/SS)
  // retired at CPL > 0 without a fault: under ring compression the deprivileged kernel
  // just saw or silently lost privileged state. `opcode` as Insn::op, `reg` ModRM.reg.
  virtual void on_sensitive(uint16_t /*opcode*/, uint8_t /*reg*/) {}
};

}  // namespace vmlab::cpu
