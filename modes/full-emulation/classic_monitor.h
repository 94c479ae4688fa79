// ClassicMonitor: trap-and-emulate on a classic IA-32 processor (no VT), the monitor half
// of `vmlab run --mode trap --cpu classic` (DESIGN.md, "The modes"; docs/modes/
// trap-and-emulate.md follows one trap through this file).
//
// The guest kernel runs in ring 1 on the shadow GDT (ring compression), with the real
// IOPL 0 and the real IF 1. The processor hands every exception and interrupt to
// on_interrupt() before any IDT (cpu::Monitor), and the monitor decides, in one switch:
//   #GP from the guest kernel  -> decode with Capstone and emulate (PrivilegedEmulator)
//   #PF                        -> shadow MMU: hidden (fill), trace (emulate the PTE
//                                 store), or true (reflect with the guest's CR2)
//   an external interrupt      -> inject through the guest's IDT if its virtual IF allows,
//                                 else keep it pending until STI / IRET / HLT
//   INT n, and every other exception -> reflect through the guest's IDT
// Everything the guest believes about privileged state lives in the VirtualCpu.
#pragma once

#include <cstdint>
#include <memory>

#include "engine/cpu/monitor.h"
#include "engine/machine/result.h"
#include "engine/vmm/deprivileged_segments.h"
#include "engine/vmm/guest_memory.h"
#include "engine/vmm/monitor_frames.h"
#include "engine/vmm/p2m.h"
#include "engine/vmm/privileged_emulator.h"
#include "engine/vmm/reflect.h"
#include "engine/vmm/shadow_mmu.h"
#include "engine/vmm/vcpu.h"
#include "engine/vmm/vm.h"

namespace vmlab::modes {

class ClassicMonitor : public cpu::Monitor {
 public:
  ClassicMonitor(vmm::Vm& vm, const vmm::P2m& p2m);
  ~ClassicMonitor() override;

  // Builds the monitor's structures in its reserve (shadow GDT, TSS, the hole).
  machine::Result<void> init();
  // Enters the guest at guest-physical `entry` in the Multiboot state (EAX, EBX), but in
  // ring 1 on the monitor's GDT, with paging on in the real CR0 (the physical-mode
  // shadow), and attaches the monitor to the processor.
  void start(uint32_t entry, uint32_t eax, uint32_t ebx);

  // cpu::Monitor
  bool on_interrupt(uint8_t vector, cpu::EventSource source, bool has_error_code,
                    uint32_t error_code) override;
  // Open while the guest could take an interrupt: in ring 3, or with its virtual IF set.
  bool interrupt_window_open() override { return injector_.can_take_interrupt(); }

  // What the guest believes, and the parts, for tests and the GUI.
  vmm::VirtualCpu& vcpu() { return vcpu_; }
  vmm::ShadowMmu& shadow() { return *shadow_; }
  vmm::GuestMemory& memory() { return memory_; }
  vmm::DeprivilegedSegments& segments() { return segments_; }
  const vmm::P2m& p2m() const { return p2m_; }

  // A guest that halts with its interrupts off, or idles for good, after sensitive
  // instructions ran in ring 1 without a trap: the stop message says that this is the
  // Popek-Goldberg hole of the classic processor and names the last such instructions.
  void explain_stop(const vmm::Vm& vm, machine::RunResult& result) const;

 private:
  // classic_monitor.cpp: the handlers of on_interrupt's switch.
  void general_protection(uint32_t error_code);
  void page_fault(uint32_t error_code);

  vmm::Vm& vm_;
  cpu::Cpu& cpu_;
  const vmm::P2m& p2m_;
  vmm::VirtualCpu vcpu_;
  vmm::MonitorFrames frames_;
  vmm::GuestMemory memory_;
  vmm::DeprivilegedSegments segments_;
  std::unique_ptr<vmm::ShadowMmu> shadow_;
  vmm::GuestEventInjector injector_;
  std::unique_ptr<vmm::PrivilegedEmulator> emulator_;
};

}  // namespace vmlab::modes
