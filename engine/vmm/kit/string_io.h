// String I/O (INS, OUTS and their REP forms) as every monitor that emulates it performs it:
// the trap-and-emulate kit (classic, bt: emulate_io.cpp) after the #GP of a deprivileged
// port access, and the VT-x-like monitor after an I/O exit (VtMonitor::io). One element
// loop for all of them; the monitor supplies what differs: its view of the guest's memory
// and segments (StringIoView), how a fault reaches the guest and how the instruction
// completes (from the StringIoBatch it gets back), and what an element's bus cycle costs.
#pragma once

#include <cstdint>
#include <optional>

#include "engine/cpu/cpu.h"
#include "engine/machine/machine.h"
#include "engine/vmm/kit/guest_insn.h"
#include "engine/vmm/kit/guest_memory.h"

namespace vmlab::vmm {

// The decoded INS/OUTS: what the loop needs of the instruction.
struct StringIoOp {
  bool in = false;      // INS (ES:EDI <- port) or OUTS (port <- seg:ESI)
  unsigned size = 1;    // 1, 2 or 4 bytes an element
  uint16_t port = 0;    // DX
  bool rep = false;     // F3, or F2 (which repeats INS/OUTS as F3 does)
  bool a16 = false;     // the 67 prefix: SI, DI, CX, their low 16 bits only
  uint8_t src_seg = 3;  // OUTS's segment: DS or the override (INS always uses ES)
};

// `insn` as the loop's operation, DX being the port; nothing when it is no INS/OUTS.
std::optional<StringIoOp> string_io_op(const GuestInsn& insn, uint16_t port);

// The monitor's view of the guest for the loop's accesses (CPL 3 rights when the guest runs
// at CPL 3). A refused access returns false with the guest's #PF in `fault`.
class StringIoView {
 public:
  // The processor's segment checks of `size` bytes at `offset` in segment `seg` (SDM Vol.
  // 3A, 5.3 and 5.6): usable, writable for INS, readable for OUTS, within the limit.
  virtual bool segment_allows(uint8_t seg, uint32_t offset, unsigned size, bool write) const = 0;
  // The guest's page walk of a write at `lin`, without setting A or D.
  virtual GuestWalk walk_for_write(uint32_t lin) = 0;
  virtual bool read(uint32_t lin, uint32_t& value, unsigned size, GuestMemory::Fault& fault) = 0;
  virtual bool write(uint32_t lin, uint32_t value, unsigned size, GuestMemory::Fault& fault) = 0;

 protected:
  ~StringIoView() = default;
};

// What one batch did.
struct StringIoBatch {
  enum class End : uint8_t {
    kComplete,      // the instruction is done: EIP moves past it
    kAgain,         // a REP with ECX not yet 0: EIP stays, the next exit or trap continues
    kSegmentFault,  // `vector` (#GP(0), or #SS(0) for SS) before element `elements`
    kPageFault,     // `page_fault` before element `elements` reached the port
  };
  End end = End::kComplete;
  uint64_t elements = 0;  // elements performed (each a port access and a budget unit)
  uint8_t vector = 0;
  GuestMemory::Fault page_fault{};
};

// One resumable batch of `op` at the processor's registers: at most 4096 elements and no
// more than the run's budget has left (at least one), each charged to the budget, progress
// noted at the batch's end (engine/cpu/cpu.h). ESI/EDI advance by the element size (back
// with DF), ECX counts down for a REP; registers hold what the elements performed so far.
StringIoBatch string_io_batch(cpu::Cpu& cpu, machine::Machine& machine, StringIoView& view,
                              const StringIoOp& op);

}  // namespace vmlab::vmm
