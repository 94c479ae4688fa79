// Hardware task switching: what a far JMP or CALL to a TSS or task gate, an event through
// an IDT task gate and IRET with EFLAGS.NT do once the checks of task_checks.h have passed.
//
// SDM Vol. 3A: 7.3 "Task Switching" (the steps, the commit point, table 7-1: the faults of
// the new task's state), 7.4 "Task Linking" (the link field, NT, the busy flag), figure 7-2
// (the 32-bit TSS). Vol. 2A/2B: the JMP, CALL, INT n and IRET pseudo-code. The switch is
// Cpu::switch_task (task_switch.cpp).
//
// The model switches between 32-bit TSSes and 16-bit ones (types 1 and 3, SDM Vol. 3A 7.6 and
// figure 7-10: no CR3, FS or GS; word registers). A new task whose EFLAGS.VM is set
// (virtual-8086 mode) stops the run with an "unsupported" message once the checks before
// the commit point have passed: it is not modeled. The TSS's T bit (a #DB trap on entry to
// the task) is not acted on, as the processor's other debug traps are not (exec_system.cpp,
// the debug registers).
#pragma once

#include <cstdint>

#include "engine/cpu/descriptor.h"

namespace vmlab::cpu {

// What started a task switch. The values are those of bits 31:30 of the exit qualification
// of a VM exit for a task switch (SDM Vol. 3C, table 27-2).
enum class TaskSource : uint8_t { kCall = 0, kIret = 1, kJmp = 2, kIdtGate = 3 };

// What the processor does with a switch that passed its checks (Cpu::set_task_switching).
enum class TaskSwitching : uint8_t {
  // Performs it; in guest mode it is a VM exit with reason 9 instead (SDM Vol. 3C 25.4.2:
  // a task switch in VMX non-root operation always exits), which the monitor handles.
  kPerform,
  // Performs it in guest mode too: a VT monitor that has the processor perform the
  // guest's switch on the guest's state (modes/full-emulation/vt_task_switch.cpp).
  kMonitorPerforms,
  // Performs it without loading CR3: the new task's CR3 is kept for the monitor
  // (Cpu::task_switch_cr3), which loads it into its shadow MMU. A monitor's scratch
  // processor, whose page tables are its own (engine/vmm/kit/emulate_task_switch.cpp).
  kMonitorKeepsCr3,
  // Stops the run (kUnsupported, "... task switching ..."): a monitor's scratch processor
  // that runs a guest instruction for its checks only.
  kStopAfterChecks,
};

// The TSS a task switch goes to: its selector and its descriptor as read from the GDT.
struct TaskTarget {
  uint16_t selector = 0;
  Descriptor desc;
};

// The offsets of the 32-bit TSS (SDM Vol. 3A, figure 7-2).
namespace tss32 {
inline constexpr uint32_t kLink = 0x00;
inline constexpr uint32_t kCr3 = 0x1C;
inline constexpr uint32_t kEip = 0x20;
inline constexpr uint32_t kEflags = 0x24;
inline constexpr uint32_t kGpr = 0x28;  // EAX ECX EDX EBX ESP EBP ESI EDI, 4 bytes each
inline constexpr uint32_t kSeg = 0x48;  // ES CS SS DS FS GS, 4 bytes each (16 used)
inline constexpr uint32_t kLdt = 0x60;
inline constexpr uint32_t kMinLimit = 0x67;
}  // namespace tss32

// The offsets of the 16-bit TSS (SDM Vol. 3A, figure 7-10): word fields.
namespace tss16 {
inline constexpr uint32_t kLink = 0x00;
inline constexpr uint32_t kSp0 = 0x02;
inline constexpr uint32_t kSs0 = 0x04;
inline constexpr uint32_t kIp = 0x0E;
inline constexpr uint32_t kFlags = 0x10;
inline constexpr uint32_t kGpr = 0x12;  // AX CX DX BX SP BP SI DI, 2 bytes each
inline constexpr uint32_t kSeg = 0x22;  // ES CS SS DS
inline constexpr uint32_t kLdt = 0x2A;
inline constexpr uint32_t kMinLimit = 0x2B;
}  // namespace tss16

// The exit qualification of a VM exit for a task switch (SDM Vol. 3C, table 27-2): the
// selector of the new TSS in bits 15:0, the source in bits 31:30.
constexpr uint32_t task_switch_qualification(uint16_t selector, TaskSource source) {
  return uint32_t{selector} | uint32_t{static_cast<uint8_t>(source)} << 30;
}

}  // namespace vmlab::cpu
