// The exit checks of the instructions that can leave guest mode, called by their
// semantic routines (exec_system.cpp, exec_io.cpp, exec_string.cpp) only when the
// processor is in guest mode, after the instruction's own privilege checks (which have
// priority over VM exits, SDM Vol. 3C 25.1.1) and before it changes any state. Each
// either throws a VM exit (Cpu::vm_exit) or returns and lets the instruction execute.
//
// Defined in vmx_exits.cpp. SDM Vol. 3C, 25.1.3 (instructions that exit conditionally),
// 25.3 (CR0/CR4 read shadows), tables 27-3 and 27-5 (the qualifications).
#pragma once

#include <cstdint>

#include "engine/cpu/cpu.h"

namespace vmlab::cpu {

// MOV from CR3 with CR3-store exiting exits; CR0 and CR4 read through their shadows.
uint32_t vmx_mov_from_cr(Cpu& cpu, const Insn& insn, uint32_t value);
// MOV to CR3 with CR3-load exiting; MOV to CR0/CR4 that changes a monitor-owned bit
// relative to its read shadow.
void vmx_mov_to_cr(Cpu& cpu, const Insn& insn, uint32_t value);
// LMSW and CLTS change CR0 bits: they exit like MOV to CR0 when a changed bit is owned.
void vmx_lmsw(Cpu& cpu, const Insn& insn, uint16_t source);
void vmx_clts(Cpu& cpu, const Insn& insn);
// IN, OUT, INS, OUTS: exit when I/O exiting is unconditional or the bitmap names a port.
void vmx_io(Cpu& cpu, const Insn& insn, uint16_t port, unsigned size, bool in, bool string,
            bool immediate);
// The same for IN and OUT, posting the #GP or the exit instead of throwing it
// (Cpu::post_vm_exit): true when the instruction must return at once.
bool vmx_io_posting(Cpu& cpu, const Insn& insn, uint16_t port, unsigned size, bool in,
                    bool immediate);

}  // namespace vmlab::cpu
