// VirtualCpu: the processor state the deprivileged guest kernel believes in.
//
// Under ring compression the guest kernel runs in ring 1 and the real control registers,
// descriptor-table registers and interrupt flag belong to the monitor (DESIGN.md,
// "engine/vmm"). Every privileged instruction the guest executes traps, and the monitor
// emulates it on this structure instead of the real processor; what the guest reads back
// through a trapping instruction (MOV from CR0, ...) comes from here too. What it reads
// through an instruction that does not trap (PUSHF, SGDT, SMSW, MOV from CS) is the real
// state: that is the Popek-Goldberg hole, left visible (Adams & Agesen 2006, 3.1).
#pragma once

#include <cstdint>
#include <deque>

#include "engine/cpu/cpu_state.h"

namespace vmlab::vmm {

struct VirtualCpu {
  // Control registers as the guest wrote them (SDM Vol. 3A, 2.5). Paging is the guest's
  // paging: the real CR0.PG is always on under the monitor.
  uint32_t cr0 = cpu::cr0::PE | cpu::cr0::ET;
  uint32_t cr2 = 0;
  uint32_t cr3 = 0;
  uint32_t cr4 = 0;
  // The guest's interrupt flag. The real EFLAGS.IF stays 1 while the guest runs, so that
  // the monitor sees every interrupt; CLI/STI/IRET are emulated on this bit.
  bool interrupts_enabled = false;
  // The guest's I/O privilege level, from the EFLAGS images the monitor sees it load (an
  // emulated IRET; under bt also a translated POPF and an IRET to user mode). The real IOPL
  // stays 0 while the guest kernel runs, so that its port access faults; outside ring 0
  // the monitor decides with this and the guest's TSS I/O bitmap (PrivilegedEmulator::
  // emulate_user_io), except that bt runs user code with this as the real IOPL.
  uint8_t iopl = 0;

  // An EFLAGS image as the guest kernel reads it (PUSHF, an event frame): the real flags
  // with the virtual IF and IOPL. Only those two differ while the guest kernel runs; NT,
  // AC and the status flags are real (a ring-1 POPF loads them as ring 0's would).
  uint32_t kernel_eflags_image(uint32_t real) const {
    return (real & ~(cpu::flags::IF | cpu::flags::IOPL)) |
           (interrupts_enabled ? cpu::flags::IF : 0u) | (uint32_t{iopl} << cpu::flags::IOPL_SHIFT);
  }

  // Descriptor-table registers as the guest loaded them (LGDT, LIDT, LLDT, LTR).
  cpu::TableRegister gdtr{0, 0};
  cpu::TableRegister idtr{0, 0x3FF};
  uint16_t ldtr = 0;
  uint16_t tr = 0;
  uint32_t tss_base = 0;  // the guest TSS (guest-linear), valid when tr != 0
  uint32_t tss_limit = 0;
  // MSR_MISC_FEATURES_ENABLES as the guest wrote it: bit 0 asks for CPUID faulting in its
  // own user mode. The real MSR is the monitor's (faulting always on, so that CPUID outside
  // real ring 0 traps: PrivilegedEmulator::cpuid).
  uint64_t misc_features_enables = 0;

  // External interrupts that reached the monitor while the guest could not take them.
  // The processor normally leaves such an interrupt in the PIC until the interrupt window
  // opens (cpu::Monitor::interrupt_window_open); anything that still arrives waits here and
  // is injected, in order, at the next monitor exit where the guest can take it.
  std::deque<uint8_t> pending;

  bool paging() const { return (cr0 & cpu::cr0::PG) != 0; }
  bool write_protect() const { return (cr0 & cpu::cr0::WP) != 0; }
  bool large_pages() const { return (cr4 & cpu::cr4::PSE) != 0; }

  // Ring compression: real ring 1 is the guest's ring 0; ring 3 stays ring 3.
  static uint8_t virtual_cpl(uint8_t real_cpl) { return real_cpl == 1 ? 0 : real_cpl; }
  static uint8_t real_rpl(uint8_t guest_rpl) { return guest_rpl == 0 ? 1 : guest_rpl; }
  // A selector as the guest would have it (RPL 1 shown as 0) and as the hardware needs it.
  static uint16_t guest_selector(uint16_t real) {
    return (real & 3) == 1 ? static_cast<uint16_t>(real & ~3u) : real;
  }
  static uint16_t real_selector(uint16_t guest) {
    return (guest & 3) == 0 ? static_cast<uint16_t>(guest | 1u) : guest;
  }
};

}  // namespace vmlab::vmm
