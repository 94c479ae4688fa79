// The instruction at the guest's CS:EIP, as a monitor reads it to emulate it: its bytes
// fetched through the monitor's view of the guest's memory (GuestMemory: the guest's own
// page tables, with CPL 3 rights when the guest runs at CPL 3) and decoded with Capstone
// (guest_insn.h). The trap-and-emulate kit's emulator (PrivilegedEmulator::fetch) and the
// VT-x-like monitor's exits (VtMonitor::io) both fetch through it; it needs no shadow MMU,
// so a monitor with nested paging has it as well.
#pragma once

#include <optional>

#include "engine/cpu/cpu_state.h"
#include "engine/vmm/kit/guest_insn.h"
#include "engine/vmm/kit/guest_memory.h"

namespace vmlab::vmm {

struct GuestFetch {
  std::optional<GuestInsn> insn;  // nothing: a fault, or bytes Capstone cannot decode
  bool faulted = false;           // the first byte's page refused the read: `fault`
  GuestMemory::Fault fault{};
};

// Up to 15 bytes, stopping at the first page the guest cannot read (the instruction itself
// was fetched, so its own bytes are there).
GuestFetch fetch_guest_insn(const cpu::CpuState& s, GuestMemory& memory,
                            const GuestInsnDecoder& decoder);

}  // namespace vmlab::vmm
