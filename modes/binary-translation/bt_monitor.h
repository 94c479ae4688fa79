// BtMonitor: the monitor of `vmlab run --mode bt` (DESIGN.md, "The modes"; Adams & Agesen
// 2006, section 3; docs/modes/binary-translation.md follows one callout through it).
//
// The guest kernel believes it runs at CPL 0; it runs in ring 1 (ring compression, the
// shadow GDT of engine/vmm), and never from guest memory: its code runs from the
// translation cache, with CS = the TC's code segment and %gs = the translator's data.
// Guest user code runs directly in ring 3. The switches happen at the guest's own privilege
// changes: every event that enters the guest kernel (an exception, an interrupt, INT 0x80
// from user mode) is reflected through the guest's IDT and then *enters the TC* at the
// handler's translation; a guest IRET to user mode *leaves the TC* and returns by the
// processor's own IRET.
//
// The processor hands every exception and interrupt to on_interrupt() (cpu::Monitor), and
// the monitor decides, in one switch:
//   a callout (INT 0xBD from the TC)     -> continue/chain, lookup miss, emulate (the shared
//                                           PrivilegedEmulator), IRET, INT n, SIMULATE
//   #PF                                  -> shadow MMU: hidden (fill and resume in the TC),
//                                           trace (emulate the store; adaptive BT counts it),
//                                           true (reflect with the guest's CR2)
//   an external interrupt                -> taken only where the guest state is precise
//                                           (interrupt_window_open), reflected
//   anything else                        -> reflected through the guest's IDT
// A fault at a TC address is mapped back to the guest instruction (TranslationCache
// records), so that the guest sees its own EIP and registers. The shared parts (virtual
// CPU, shadow GDT and MMU, injector, emulator) are the deprivileged monitor's (engine/vmm/
// deprivileged_monitor.h), as under trap-and-emulate on the classic CPU.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "engine/machine/result.h"
#include "engine/vmm/core/p2m.h"
#include "engine/vmm/core/vm.h"
#include "engine/vmm/kit/deprivileged_monitor.h"
#include "modes/binary-translation/adaptive.h"
#include "modes/binary-translation/translation_cache.h"
#include "modes/binary-translation/translator.h"

namespace vmlab::modes::bt {

class BtMonitor : public vmm::DeprivilegedMonitor, private vmm::DeprivilegedSegments::SlotListener {
 public:
  BtMonitor(vmm::Vm& vm, const vmm::P2m& p2m);

  // The deprivileged monitor's structures, then the translator's: the TC, its data and
  // its segments in the shadow GDT.
  machine::Result<void> init() override;
  // Enters the guest as the deprivileged monitor does, then at the translation of the
  // entry point.
  void start(uint32_t entry, uint32_t eax, uint32_t ebx) override;

  // cpu::Monitor
  bool on_interrupt(uint8_t vector, cpu::EventSource source, bool has_error_code,
                    uint32_t error_code) override;
  bool interrupt_window_open() override;
  void on_code_page_write(uint32_t page) override;
  void at_event_check() override;
  uint32_t guest_eip(uint32_t eip) const override;

  // The translation of the guest kernel code at `guest` (guest-linear), translated now if
  // needed; nothing when its bytes cannot be read. For bt-dump, tests and the GUI.
  std::optional<uint32_t> translation_of(uint32_t guest);

  // In-TC emulations so far, by kind (recorded at monitor entries).
  const std::array<uint64_t, static_cast<size_t>(InTcKind::kCount)>& in_tc_counts() const {
    return in_tc_;
  }
  // Indirect-branch lookups that hit: in the branch's inline cache or in the hash table.
  uint64_t lookup_hits() const { return lookup_hits_; }
  uint64_t inline_hits() const { return inline_hits_; }
  uint64_t callouts() const { return callouts_; }

  // The translator's parts, for tests and the GUI.
  TranslationCache& cache() { return *cache_; }
  Translator& translator() { return *translator_; }
  const Adaptive& adaptive() const { return adaptive_; }
  // The real selector of the guest kernel's CS while in the TC (inspection).
  uint16_t guest_cs() const { return guest_cs_; }
  bool in_tc() const { return cpu_.state().seg[cpu::CS].selector == layout::kTcCode; }

  // Saved state (bt_state.cpp, docs/snapshots.md): the deprivileged monitor's parts, the
  // translation cache's host-side index, adaptive BT's counts and this monitor's own
  // counters. load() validates every value and fails `r` otherwise.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  // bt_monitor.cpp: moving between guest terms and the TC.
  void enter_tc();
  void leave_tc(uint32_t tc_eip);  // a fault or interrupt at a TC address
  // An accessed bit set for a load inside an in-TC sequence: the sequence again from its
  // first TC byte, with the registers it borrowed restored.
  void restart_sequence(uint32_t tc_eip);
  void leave_to_guest(uint32_t guest);  // guest terms at a known guest EIP
  void sync_out();                      // the virtual CPU into the %gs data
  void sync_selector_table();           // the selector table to the guest's GDT limit
  // The selector table's entry for `selector`: 0, or the #GP error code its load gives.
  uint32_t selector_refusal(uint16_t selector) const;
  void sync_in();  // the virtual IF and IOPL back from it
  void collect_in_tc_events();
  // The guest's %gs into the %gs data on the way into the TC: the selector (kVgs) and what
  // its accesses load (kVgsLoad): the selector itself, or the cache slot (layout::kGsCache)
  // holding the descriptor the real %gs has, when its slot has changed since it was loaded.
  void park_guest_gs();
  // DeprivilegedSegments::SlotListener: a shadow slot is about to change; when the guest's
  // virtual %gs (in the TC) was loaded from it, its old descriptor goes to the cache slot.
  void descriptor_changing(uint16_t selector, uint64_t old_shadow) override;
  // DeprivilegedSegments::SlotListener: a guest slot was copied; its RPL-1 selector's entry
  // in the selector table is rechecked at the next sync_selector_table.
  void slot_copied(uint16_t selector) override;
  void use_gs_cache(uint16_t selector, uint64_t descriptor);
  std::optional<uint32_t> tc_for(uint32_t guest, bool& fault);
  // The D bit of the code segment the guest is in (its own, when tc_for runs).
  bool guest_code_32bit() const;
  void record_translation(uint32_t guest, const Translator::Attempt& r);
  // bt_monitor.cpp: the handlers of on_interrupt's switch.
  void callout();
  void exception(uint8_t vector, bool has_error_code, uint32_t error_code, bool from_tc);
  void page_fault(uint32_t error_code, bool from_tc);
  // Whether the in-TC sequence at `tc_eip` has its faults settled by the scratch processor
  // (kEmulateOnFault: SGDT, SIDT).
  bool emulates_on_fault(uint32_t tc_eip) const;
  // A #PF of the processor's accessed-bit write inside a kSelectorLoad sequence whose
  // operand lies in the very descriptor it names: the load completed as natively (true),
  // or false, nothing changed, when it is not that (the usual mark and restart).
  bool self_naming_load(uint32_t lin, uint32_t error_code, uint32_t tc_eip);
  void iret_callout(bool o16);
  bool far_transfer();
  // interpret16.cpp: one guest kernel instruction in a 16-bit code segment, interpreted.
  void interpret16();
  // in_tc_port.cpp: the device doorbell of the in-TC sequences (the port read's, the
  // page-table store's).
  void arm_doorbell();
  void doorbell();
  void port_read(uint32_t request);
  // in_tc_pte_write.cpp: the in-TC traced store's request (translate_pte_write.cpp).
  void pte_doorbell(uint32_t request);
  // Performs a dword store at `offset` through `seg` when it is one the TC may perform (a
  // store the guest could make, onto a traced frame: one entry of a guest page table, or
  // the guest's GDT or LDT page): the store, the accessed and dirty bits of its walk, the
  // shadow update. Its kind (kPteWrite, kTableWrite), or nothing when it was not performed.
  // `linear`: where it went.
  std::optional<InTcKind> perform_traced_write(cpu::SegReg seg, uint32_t offset, uint32_t value,
                                               uint32_t& linear);
  // adaptive.cpp's monitor half: retranslating a fragment with a forwarding jump.
  void retranslate(uint32_t fragment);
  // Whether the guilty instruction at `guest` is translated as a guilty store now (its IDENT
  // copy in a fragment translated before the guilt is stale); false for a store adaptive BT
  // leaves IDENT (PUSH, a control transfer), which retranslating would not change.
  bool stale_ident(uint32_t guest);
  // A SIMULATE callout's segment load through CS: the #GP error code
  // the selector table gives the selector at `offset` in its memory operand (one the guest's
  // tables do not hold), or nothing (a selector the processor may check itself, or an
  // operand whose read faults, which the kit's execution then reports).
  std::optional<uint32_t> refused_cs_selector(uint32_t offset);
  std::vector<uint8_t> dead_entry(uint32_t at, uint32_t guest);

  std::unique_ptr<TranslationCache> cache_;
  std::unique_ptr<Translator> translator_;
  Adaptive adaptive_;

  cpu::SegmentCache tc_cs_{};
  cpu::SegmentCache gs_data_{};
  uint16_t guest_cs_ = 0;  // the real selector of the guest kernel's CS while in the TC
  // Its descriptor cache as the processor loaded it: natively a CS keeps it whatever the
  // guest writes into its GDT until the next far transfer (SDM Vol. 3A, 3.4.3), so the way
  // out of the TC restores it rather than reread the (maybe rewritten) shadow slot.
  cpu::SegmentCache guest_cs_cache_{};
  uint32_t flush_epoch_ = 0;
  // The guest GDT and LDT entries the selector table follows (~0: not written yet).
  uint32_t table_gdt_entries_ = ~0u;
  uint32_t table_ldt_entries_ = ~0u;
  std::vector<uint16_t> copied_slots_;  // guest slots copied since (slot_copied)
  uint64_t per_insn_cost_ = 0;
  uint64_t in_tc_port_cost_ = 0;  // the profile's bt.in_tc_port_read
  uint64_t in_tc_pte_cost_ = 0;   // the profile's bt.in_tc_pte_write
  std::array<uint64_t, static_cast<size_t>(InTcKind::kCount)> in_tc_{};
  uint64_t lookup_hits_ = 0;
  // Instructions retired at the last collect_in_tc_events(): no in-TC counter can have counted more
  // since (each count is one executed sequence).
  uint64_t collected_icount_ = 0;
  uint64_t inline_hits_ = 0;
  bool smc_exit_ = false;  // a store made the executing fragment stale (at_event_check)
  uint64_t callouts_ = 0;
};

}  // namespace vmlab::modes::bt
