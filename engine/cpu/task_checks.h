// The checks a processor makes before it switches tasks: a far JMP or CALL to a TSS or a
// task gate, an INT n or exception through an IDT task gate, and IRET with EFLAGS.NT set.
//
// Each check returns the TSS the switch goes to once every check has passed; the switch
// itself is task_switch.h (Cpu::switch_task). Until then the instruction faults exactly
// as the hardware does, in the old task's context, so an unprivileged program that reaches
// for a task switch gets its #GP, #NP or #TS (issue 12, item 5).
//
// SDM Vol. 3A: 7.2.2 (a TSS descriptor lives only in the GDT), 7.3 (the task-switch steps
// and table 7-1, the exception conditions checked during a task switch). Vol. 2A/2B: the
// JMP, CALL, INT n and IRET pseudo-code ("TASK-GATE", "TASK-STATE-SEGMENT",
// "TASK-RETURN"), which fix the order of the checks and their error codes.
#pragma once

#include <cstdint>

#include "engine/cpu/cpu.h"
#include "engine/cpu/descriptor.h"
#include "engine/cpu/task_switch.h"

namespace vmlab::cpu {

// True for an available or busy TSS descriptor (16- or 32-bit) and for a task gate.
bool is_task_target(const Descriptor& d);

// A far JMP or CALL whose selector names a TSS or task gate `d` (already read from its
// table). Makes every check of the JMP/CALL pseudo-code and of the task switch's first
// steps; returns only when all have passed.
TaskTarget check_far_task_target(Cpu& cpu, uint16_t selector, const Descriptor& d);

// An event delivered through an IDT task gate whose DPL and present bit the caller has
// checked: the TSS the gate names must be an available TSS in the GDT, present, with a
// valid limit. `ext` is the EXT bit of the error codes (SDM Vol. 3A, 6.13).
TaskTarget check_idt_task_gate(Cpu& cpu, const Descriptor& gate, uint32_t ext);

// IRET with NT set: the previous-task link of the current TSS must name a busy TSS in the
// GDT, present, with a valid limit (IRET pseudo-code, "TASK-RETURN").
TaskTarget check_nested_task_return(Cpu& cpu);

}  // namespace vmlab::cpu
