// The monitor's half of the in-TC store onto a traced frame (translate_pte_write.cpp).
//
// The translated store rings the device doorbell with its segment; the offset and the
// value wait in the %gs data. The monitor performs the store here, during the doorbell's
// own store, with no exception, no callout and no monitor entry to model, only when it is
// exactly a store the guest could make natively and that lands on a frame the monitor
// traces:
//   - through a data segment the guest's selector loaded (ring-compressed and cut below
//     the hole, so no offset reaches the monitor's pages), writable, expand-up, with the
//     whole dword inside its limit;
//   - dword-aligned (one page-table entry, one page), below the hypervisor hole;
//   - allowed by the guest's own page tables for a supervisor write, onto guest RAM;
//   - onto a frame the shadow MMU traces: a guest page table, or a frame of the guest's
//     GDT or LDT (trace_tables).
// Then it sets the accessed and dirty bits the store's walk would set and stores the value
// with ShadowMmu::write_traced, exactly as the SIMULATE callout's emulator commits it: on a
// page table it drops the shadow entries the store makes stale (the next access refills
// them through the P2M, so a guest PTE can never name a frame the guest does not own); on
// a descriptor table's frame it hands the store to the shadow GDT/LDT, which copies the
// descriptors the bytes belong to, compressed and cut below the hole (a store next to the
// table, on the same page, changes no descriptor). It records bt_in_tc, kind kPteWrite or
// kTableWrite, charged the profile's bt.in_tc_pte_write, and leaves kPteFallback 0. Any
// other case performs nothing and leaves 1: the sequence then makes the SIMULATE callout,
// whose emulator executes the instruction with every check and fault of the processor.
//
// The descriptor tables' frames came in for Linux's decompressor (docs/outside-kernels.md,
// "Why classic and bt are slower"): its GDT shares a page with its stack and the xz
// decoder's state, so `mov [esp+4], eax` became guilty, was refused here as "not a page
// table", took a SIMULATE callout per store, and flipped between guilty and innocent
// (innocent after 64 callouts that wrote no page table) thousands of times.
#include <algorithm>
#include <string>

#include "modes/binary-translation/bt_monitor.h"

namespace vmlab::modes::bt {

namespace {

// The guest-linear address of a dword store at `offset` through `seg`, when the segment
// allows it whole; nothing when the processor would refuse it (the callout raises that).
std::optional<uint32_t> store_linear(const cpu::SegmentCache& seg, uint32_t offset) {
  if (!seg.usable || !seg.present || !seg.writable() || seg.expand_down()) return std::nullopt;
  if (offset > seg.limit || seg.limit - offset < 3) return std::nullopt;
  return seg.base + offset;
}

}  // namespace

std::optional<InTcKind> BtMonitor::perform_traced_write(cpu::SegReg seg, uint32_t offset,
                                                        uint32_t value, uint32_t& linear) {
  if (seg == cpu::CS || seg == cpu::GS) return {};  // (CS is the TC's, GS the monitor's)
  const auto lin = store_linear(cpu_.state().seg[seg], offset);
  if (!lin || (*lin & 3) != 0 || *lin > vmm::hole::kBase - 4) return {};
  const vmm::GuestWalk probe = memory_.walk(*lin, cpu::Access::kWrite, false, false);
  if (!probe.ok || !p2m_.to_machine(probe.gpa)) return {};
  const uint32_t gfn = probe.gpa >> 12;
  if (!shadow_->tracked(gfn)) return {};
  const auto& tables = shadow_->traced_tables();
  const bool table = std::binary_search(tables.begin(), tables.end(), gfn);
  // The store's own walk: the accessed and dirty bits it sets.
  const vmm::GuestWalk walk = memory_.walk(*lin, cpu::Access::kWrite, false, true);
  if (!walk.ok || walk.gpa != probe.gpa) return {};
  const bool page_table = shadow_->write_traced(walk.gpa, value, 4);
  if (!page_table && !table) return {};  // (tracked is one or the other)
  linear = *lin;
  return page_table ? InTcKind::kPteWrite : InTcKind::kTableWrite;
}

void BtMonitor::pte_doorbell(uint32_t request) {
  // Only the translator's sequence rings this way, from an in-TC record. Any other ring is
  // a forged request (only translated code reaches the %gs data, so it would take an
  // overwritten monitor page or a host-side write): it is refused quietly, performing
  // nothing and changing nothing, and never stops the machine. Inside the sequence the
  // refusal leaves kPteFallback 1, so the SIMULATE callout's emulator executes the
  // guest's instruction with every check of the processor, as natively.
  const TranslationCache::InsnRecord* rec = in_tc() ? cache_->record_at(cpu_.state().eip) : nullptr;
  if (!rec || rec->how != Translation::kInTc) return;
  cache_->set_data32(gsdata::kPteFallback, 1);
  const uint32_t seg = request & ~gsdata::kPteRequest;
  if (seg >= cpu::kNumSegRegs) return;
  const uint32_t guest = rec->guest;
  uint32_t linear = 0;
  const auto kind =
      perform_traced_write(static_cast<cpu::SegReg>(seg), cache_->data32(gsdata::kPteOffset),
                           cache_->data32(gsdata::kPteValue), linear);
  if (!kind) return;  // the SIMULATE callout, with every check of the processor
  adaptive_.on_written_in_tc(guest);
  ++in_tc_[static_cast<size_t>(*kind)];
  vm_.recorder().record(vmm::EventKind::bt_in_tc, {static_cast<uint32_t>(*kind), 1, linear, guest},
                        in_tc_pte_cost_);
  cache_->set_data32(gsdata::kPteFallback, 0);
}

}  // namespace vmlab::modes::bt
