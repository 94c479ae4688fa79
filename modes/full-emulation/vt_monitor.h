// VtMonitor: the exit handler of the VT-x-like "hardware VMM" (Adams & Agesen 2006,
// section 4; docs/modes/vt.md).
//
// The guest runs in guest mode at ring 0 with its own GDT, IDT and TSS; the processor
// leaves guest mode only for what the control block asks (vt_setup.h), and hands this
// monitor the exit: its reason, its qualification, the instruction's length. on_vm_exit()
// is one switch over the reason, as a real VMM's exit loop is; each handler emulates what
// the guest asked for on the guest's state and returns, which is the VM entry.
//
// Paging is the strategy's: with shadow paging (first-generation VT-x) CR3 loads, INVLPG
// and page faults exit and go to the shared ShadowMmu (engine/vmm/kit/shadow_mmu.h); with
// nested paging (`--npt`) the processor walks the guest's tables itself, through the
// nested table, and none of those exit.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>

#include "engine/cpu/vmx.h"
#include "engine/vmm/core/vcpu.h"
#include "engine/vmm/core/vm.h"
#include "engine/vmm/kit/guest_insn.h"
#include "engine/vmm/kit/guest_memory.h"
#include "engine/vmm/kit/privileged_emulator.h"
#include "engine/vmm/kit/shadow_mmu.h"
#include "modes/full-emulation/nested_dirty.h"
#include "modes/full-emulation/vt_setup.h"

namespace vmlab::modes {

class VtMonitor : public cpu::VmxMonitor {
 public:
  // `shadow` and `vcpu` (the guest's CR0/CR3/CR4 under shadow paging) are null with
  // nested paging.
  VtMonitor(vmm::Vm& vm, VtPaging paging, vmm::ShadowMmu* shadow, vmm::VirtualCpu* vcpu,
            vmm::GuestMemory& memory);

  // cpu::VmxMonitor
  void on_vm_exit(const cpu::VmExit& exit) override;
  void on_nested_walk(uint32_t linear, unsigned references) override;

  // Cycles charged to every exit besides event.trap: the VM entry back, and the VMCS
  // reads and writes of a typical handler (docs/modes/vt.md, "Costs").
  uint64_t exit_overhead() const { return exit_overhead_; }

  // The P2m whose device frame is the APIC-access page: moved with the guest's APIC when
  // it writes IA32_APIC_BASE (guest_apic.h).
  void follow_apic_with(vmm::P2m* p2m) { p2m_ = p2m; }
  // Nested paging: the VirtualCpu through which the monitor's GuestMemory walks the
  // guest's tables; the monitor copies the guest's CR0, CR3 and CR4 (which the guest owns
  // in guest mode) into it before every access it makes there (guest_memory()).
  void mirror_guest_paging_into(vmm::VirtualCpu* v) { nested_view_ = v; }

  // Nested paging: live migration's write tracking, which takes the EPT violations it
  // causes (nested_dirty.h); null: none.
  void track_writes_with(NestedWriteTracker* t) { nested_tracker_ = t; }

  // Saved state (vt_state.cpp): the acknowledged interrupts not yet injected.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r, uint8_t version);

 private:
  // --- The exit handlers, one per reason ------------------------------------------------
  void exception(const cpu::VmExit& exit);
  void external_interrupt();
  void interrupt_window();
  void nmi();
  void nmi_window();
  void cpuid(const cpu::VmExit& exit);
  void hlt(const cpu::VmExit& exit);
  void invlpg(const cpu::VmExit& exit);
  void cr_access(const cpu::VmExit& exit);
  void io(const cpu::VmExit& exit);
  void string_io(const cpu::VmExit& exit);  // reason 30, INS/OUTS
  void msr(const cpu::VmExit& exit);
  void apic_access(const cpu::VmExit& exit);
  void nested_fault(const cpu::VmExit& exit);
  // vt_task_switch.cpp: reason 9, and the switch on the processor itself (nested paging).
  void task_switch(const cpu::VmExit& exit);
  bool switch_in_place(uint16_t selector, cpu::TaskSource source, uint32_t eip, bool has_error_code,
                       uint32_t error_code, vmm::PrivilegedEmulator::Outcome& fault);

  // --- Helpers --------------------------------------------------------------------------
  // Moves the guest past the emulated instruction, which retired: one unit of the run's
  // instruction budget, as natively (Cpu::budget_units), unless the string I/O batches
  // charged its iterations already (`charged`).
  void advance(const cpu::VmExit& exit, bool charged = false);
  // Event injection on the next VM entry, through the guest's IDT.
  void inject(const cpu::vmx::Interruption& event, uint8_t instruction_length = 0);
  void inject_exception(uint8_t vector, bool has_error_code, uint32_t error_code);
  // Injects the oldest acknowledged interrupt if the guest can take it now, else asks for
  // an interrupt-window exit.
  void deliver_pending_interrupts();
  // Injects the pending virtual NMI if the guest can take it now (no virtual-NMI blocking,
  // no STI/MOV SS shadow, no other injection), else asks for an NMI-window exit.
  void deliver_pending_nmi();
  void emulated(const cpu::VmExit& exit, uint16_t opcode, uint8_t reg);
  // The monitor's view of the guest's memory, for an access it makes in the guest's terms:
  // with nested paging, first given the guest's CR0, CR3 and CR4 as the processor has them.
  vmm::GuestMemory& guest_memory();
  // Shadow paging: the guest's CR0/CR4 writes. False when the value is refused: the
  // guest's #GP(0) is injected and nothing changed.
  bool write_guest_cr0(uint32_t value);
  bool write_guest_cr4(uint32_t value);
  // Shadow paging: performs the store of the instruction at the guest's EIP (a traced
  // page-table write, or a write the guest's CR0.WP = 0 allows) with the data-move path
  // trap-and-emulate uses (engine/vmm/kit/emulate_move.cpp).
  void emulate_store();
  // An exit on a traced page while the processor delivered an event (its frame's pushes):
  // the delivery performed on the scratch processor with its stores emulated. False when
  // the delivery faults (the event is injected again, as for a hidden fault).
  bool deliver_onto_traced(const cpu::VmExit& exit);
  bool delivered_ = false;  // this exit's interrupted event is delivered already

  vmm::Vm& vm_;
  cpu::Cpu& cpu_;
  VtPaging paging_;
  vmm::ShadowMmu* shadow_;
  vmm::P2m* p2m_ = nullptr;                 // follow_apic_with()
  vmm::VirtualCpu* nested_view_ = nullptr;  // mirror_guest_paging_into()
  vmm::VirtualCpu* vcpu_;
  vmm::GuestMemory& memory_;  // through guest_memory()
  // The shared emulator, for the stores to traced page tables under shadow paging (the
  // guest runs on its own GDT at ring 0: no shadow segments).
  std::unique_ptr<vmm::PrivilegedEmulator> emulator_;
  // External interrupts acknowledged at the PIC and not yet injected.
  std::deque<uint8_t> pending_;
  // A virtual NMI taken from the processor's NMI input (an NMI exit) and not yet injected:
  // at most one waits, as at the processor's own input (SDM Vol. 3A, 6.7.1).
  bool nmi_pending_ = false;
  uint64_t exit_overhead_ = 0;
  NestedWriteTracker* nested_tracker_ = nullptr;
  uint64_t nested_ref_cost_ = 0;
  uint64_t vmcb_write_cost_ = 0;  // one VMCS write (vt.vmcb_write): an injection's fields
};

}  // namespace vmlab::modes
