// Cpu::save_internal and Cpu::load_internal: the processor's whole state, architectural and
// internal, for a snapshot that is loaded rather than re-executed (docs/snapshots.md).
//
// What a restored run's counts depend on is all here: the software TLB's entries (a hit is
// counted, a miss walks and counts references), the fetch path's cached code page (a fetch
// from it does not touch the TLB), the TLB epoch, the pages that hold decoded code (a write
// to one leaves the block and looks at events), the pending-event flags, the interrupt
// shadow's bookkeeping, the no-progress guard, the budget units, the modeled cycles, the
// VMX controls and guest-mode flags. The decoded-block cache itself is not saved: a block
// is decoded again from the same bytes, and decoding counts nothing.
#include <cstring>

#include "engine/cpu/cpu.h"

namespace vmlab::cpu {
namespace {

// Version 2 appends the NMI input (the pending latch, blocking by NMI) and the VMX NMI
// controls; a version-1 state loads with no NMI pending, none blocked and the controls
// off, which is what a processor without an NMI input had. Version 3 appends PAE's state
// (IA32_EFER and the four PDPTE registers, paging_pae.cpp) and saves each TLB entry's
// rights with their fetch bits (Cpu::tlb_perm_bit); a version-1 or -2 state loads with
// EFER and the PDPTEs zero, as a processor without PAE had them, and its entries' fetch
// bits equal to their read bits, as 32-bit paging grants them. Version 3 also appends the
// "unrestricted guest" control (real_mode.cpp); an older state loads with it off, which is
// what a processor without real mode in guest mode had.
constexpr uint8_t kInternalVersion = 3;

void put_segment(ByteWriter& w, const SegmentCache& s) {
  w.u16(s.selector);
  w.u32(s.base);
  w.u32(s.limit);
  w.u8(s.type);
  w.boolean(s.s);
  w.u8(s.dpl);
  w.boolean(s.present);
  w.boolean(s.db);
  w.boolean(s.g);
  w.boolean(s.avl);
  w.boolean(s.usable);
}

void get_segment(ByteReader& r, SegmentCache& s) {
  s.selector = r.u16();
  s.base = r.u32();
  s.limit = r.u32();
  s.type = r.u8_below(16);
  s.s = r.boolean();
  s.dpl = r.u8_below(4);
  s.present = r.boolean();
  s.db = r.boolean();
  s.g = r.boolean();
  s.avl = r.boolean();
  s.usable = r.boolean();
}

void put_interruption(ByteWriter& w, const vmx::Interruption& i) {
  w.boolean(i.valid);
  w.u8(i.vector);
  w.u8(static_cast<uint8_t>(i.type));
  w.boolean(i.has_error_code);
  w.u32(i.error_code);
}

void get_interruption(ByteReader& r, vmx::Interruption& i) {
  i.valid = r.boolean();
  i.vector = r.u8();
  // InterruptionType is the SDM's 3-bit type field (vmx.h): 0-7.
  i.type = static_cast<vmx::InterruptionType>(r.u8_below(8));
  i.has_error_code = r.boolean();
  i.error_code = r.u32();
}

}  // namespace

void save_architectural(ByteWriter& w, const CpuState& s) {
  for (uint32_t v : s.gpr) w.u32(v);
  w.u32(s.eip);
  w.u32(s.eflags);
  for (const auto& seg : s.seg) put_segment(w, seg);
  w.u32(s.gdtr.base);
  w.u16(s.gdtr.limit);
  w.u32(s.idtr.base);
  w.u16(s.idtr.limit);
  put_segment(w, s.ldtr);
  put_segment(w, s.tr);
  w.u32(s.cr0);
  w.u32(s.cr2);
  w.u32(s.cr3);
  w.u32(s.cr4);
  w.u8(s.cpl);
  w.u32(s.sysenter_cs);
  w.u32(s.sysenter_esp);
  w.u32(s.sysenter_eip);
  w.u64(s.pat);
  w.u64(s.misc_enable);
  w.u64(s.misc_features_enables);
  for (const long double& st : s.fpu.st) {
    uint8_t raw[sizeof(long double)] = {};
    std::memcpy(raw, &st, sizeof st);
    w.bytes(std::span<const uint8_t>(raw, 10));  // the 80 bits, not the padding
  }
  w.u16(s.fpu.cw);
  w.u16(s.fpu.sw);
  w.u8(s.fpu.top);
  w.u8(s.fpu.full);
  w.u32(s.fpu.fip);
  w.u32(s.fpu.fdp);
  w.u16(s.fpu.fcs);
  w.u16(s.fpu.fds);
  w.u16(s.fpu.fop);
  w.boolean(s.halted);
  w.boolean(s.interrupt_shadow);
}

void Cpu::save_internal(ByteWriter& w) const {
  w.u8(kInternalVersion);
  save_architectural(w, s_);
  for (uint32_t d : dr_) w.u32(d);
  w.u64(tsc_offset_);
  // The run loop's counters and pending-event state.
  w.u64(icount_);
  w.u64(units_);
  w.u64(budget_end_);
  w.u64(cycles_);
  w.u32(insn_eip_);
  w.boolean(check_events_);
  w.boolean(fault_posted_);
  w.u8(posted_fault_.vector);
  w.boolean(posted_fault_.has_error_code);
  w.u32(posted_fault_.error_code);
  w.boolean(window_closed_);
  w.u64(shadowed_icount_);
  w.boolean(stop_requested_);
  w.boolean(yield_requested_);
  w.boolean(shutdown_);
  w.u8(static_cast<uint8_t>(run_end_));
  w.string(stop_message_);
  w.u64(progress_icount_);
  w.u32(progress_streak_);
  w.boolean(apic_pass_armed_);
  w.u64(apic_pass_icount_);
  w.u32(apic_pass_eip_);
  w.u32(system_fence_);
  // The fetch path's cached code page and the TLB.
  w.u32(fetch_lin_page_);
  w.u32(fetch_phys_page_);
  w.u32(fetch_epoch_);
  w.u8(fetch_cpl_);
  w.u32(tlb_epoch_);
  w.boolean(tlb_has_large_);
  w.u64(tlb_hits_);
  w.u64(tlb_misses_);
  w.u64(tlb_flushes_);
  w.u64(tlb_invlpgs_);
  uint32_t used = 0;
  for (const TlbEntry& e : tlb_) used += e.tag != 0xFFFFFFFFu ? 1 : 0;
  w.u32(used);
  for (uint32_t i = 0; i < kTlbSize; ++i) {
    const TlbEntry& e = tlb_[i];
    if (e.tag == 0xFFFFFFFFu) continue;
    w.u32(i);
    w.u32(e.tag);
    w.u32(e.phys);
    w.u8(e.perm);
    w.boolean(e.global);
    w.boolean(e.large);
  }
  // The RAM pages that hold decoded code or that a monitor watches, as a bitmap.
  w.u32(static_cast<uint32_t>(page_has_code_.size()));
  for (size_t i = 0; i < page_has_code_.size(); i += 8) {
    uint8_t byte = 0;
    for (size_t b = 0; b < 8 && i + b < page_has_code_.size(); ++b) {
      if (page_has_code_[i + b]) byte |= static_cast<uint8_t>(1u << b);
    }
    w.u8(byte);
  }
  // Guest mode.
  w.boolean(guest_mode_);
  w.boolean(nested_active_);
  w.u32(vmcs_.exception_bitmap);
  w.u32(vmcs_.cr0_mask);
  w.u32(vmcs_.cr0_shadow);
  w.u32(vmcs_.cr4_mask);
  w.u32(vmcs_.cr4_shadow);
  w.boolean(vmcs_.cr3_load_exiting);
  w.boolean(vmcs_.cr3_store_exiting);
  w.boolean(vmcs_.invlpg_exiting);
  w.boolean(vmcs_.hlt_exiting);
  w.boolean(vmcs_.cpuid_exiting);
  w.boolean(vmcs_.msr_exiting);
  w.boolean(vmcs_.rdtsc_exiting);
  w.boolean(vmcs_.unconditional_io_exiting);
  w.boolean(vmcs_.use_io_bitmap);
  w.bytes(vmcs_.io_bitmap);
  w.boolean(vmcs_.external_interrupt_exiting);
  w.boolean(vmcs_.interrupt_window_exiting);
  w.boolean(vmcs_.nested_paging);
  w.u32(vmcs_.nested_root);
  w.boolean(vmcs_.virtualize_apic_accesses);
  w.u32(vmcs_.apic_access_address);
  put_interruption(w, vmcs_.injection);
  w.u8(vmcs_.injection_instruction_length);
  w.u64(vm_exits_);
  w.u64(nested_refs_);
  w.u64(walk_refs_);
  // Version 2: NMIs.
  w.boolean(nmi_pending_);
  w.boolean(nmi_blocked_);
  w.boolean(vmcs_.nmi_exiting);
  w.boolean(vmcs_.virtual_nmis);
  w.boolean(vmcs_.nmi_window_exiting);
  // Version 3: PAE.
  w.u64(s_.efer);
  for (const uint64_t pdpte : s_.pdpte) w.u64(pdpte);
  // Version 3: real mode in guest mode.
  w.boolean(vmcs_.unrestricted_guest);
}

bool Cpu::load_internal(ByteReader& r) {
  const uint8_t version = r.u8();
  if (version < 1 || version > kInternalVersion) return false;
  CpuState s;
  for (uint32_t& v : s.gpr) v = r.u32();
  s.eip = r.u32();
  s.eflags = r.u32();
  for (auto& seg : s.seg) get_segment(r, seg);
  s.gdtr.base = r.u32();
  s.gdtr.limit = r.u16();
  s.idtr.base = r.u32();
  s.idtr.limit = r.u16();
  get_segment(r, s.ldtr);
  get_segment(r, s.tr);
  s.cr0 = r.u32();
  s.cr2 = r.u32();
  s.cr3 = r.u32();
  s.cr4 = r.u32();
  s.cpl = r.u8_below(4);
  s.sysenter_cs = r.u32();
  s.sysenter_esp = r.u32();
  s.sysenter_eip = r.u32();
  s.pat = r.u64();
  s.misc_enable = r.u64();
  s.misc_features_enables = r.u64();
  for (long double& st : s.fpu.st) {
    const auto raw = r.bytes(10);
    uint8_t full[sizeof(long double)] = {};
    if (raw.size() == 10) std::memcpy(full, raw.data(), 10);
    std::memcpy(&st, full, sizeof st);
  }
  s.fpu.cw = r.u16();
  s.fpu.sw = r.u16();
  s.fpu.top = r.u8_below(8);
  s.fpu.full = r.u8();
  s.fpu.fip = r.u32();
  s.fpu.fdp = r.u32();
  s.fpu.fcs = r.u16();
  s.fpu.fds = r.u16();
  s.fpu.fop = r.u16();
  s.halted = r.boolean();
  s.interrupt_shadow = r.boolean();
  uint32_t dr[8];
  for (uint32_t& d : dr) d = r.u32();
  const uint64_t tsc_offset = r.u64();
  const uint64_t icount = r.u64();
  const uint64_t units = r.u64();
  const uint64_t budget_end = r.u64();
  const uint64_t cycles = r.u64();
  const uint32_t insn_eip = r.u32();
  const bool check_events = r.boolean();
  const bool fault_posted = r.boolean();
  CpuFault posted{};
  posted.vector = r.u8();
  posted.has_error_code = r.boolean();
  posted.error_code = r.u32();
  const bool window_closed = r.boolean();
  const uint64_t shadowed_icount = r.u64();
  const bool stop_requested = r.boolean();
  const bool yield_requested = r.boolean();
  const bool shutdown = r.boolean();
  const auto run_end =
      static_cast<RunEnd>(r.u8_below(static_cast<unsigned>(RunEnd::kUnsupported) + 1));
  std::string stop_message = r.string(4096);
  const uint64_t progress_icount = r.u64();
  const uint32_t progress_streak = r.u32_at_most(kMaxExitStreak);
  const bool apic_pass_armed = r.boolean();
  const uint64_t apic_pass_icount = r.u64();
  const uint32_t apic_pass_eip = r.u32();
  const uint32_t system_fence = r.u32();
  const uint32_t fetch_lin_page = r.u32();
  const uint32_t fetch_phys_page = r.u32();
  const uint32_t fetch_epoch = r.u32();
  const uint8_t fetch_cpl = r.u8();
  const uint32_t tlb_epoch = r.u32();
  const bool tlb_has_large = r.boolean();
  const uint64_t tlb_hits = r.u64();
  const uint64_t tlb_misses = r.u64();
  const uint64_t tlb_flushes = r.u64();
  const uint64_t tlb_invlpgs = r.u64();
  std::array<TlbEntry, kTlbSize> tlb{};
  const uint32_t used = r.u32_at_most(kTlbSize);
  for (uint32_t n = 0; n < used && !r.failed(); ++n) {
    const uint32_t i = r.u32_at_most(kTlbSize - 1);
    TlbEntry e;
    e.tag = r.u32();
    e.phys = r.u32();
    if (version >= 3) {
      e.perm = r.u8_below(64);
    } else {
      // Bit 2*user + write before version 3; a fetch was allowed wherever a read was.
      const uint8_t old = r.u8_below(16);
      e.perm = 0;
      for (unsigned user = 0; user < 2; ++user) {
        if (old & (1u << (2 * user))) {
          e.perm |=
              tlb_perm_bit(Access::kRead, user != 0) | tlb_perm_bit(Access::kExecute, user != 0);
        }
        if (old & (2u << (2 * user))) e.perm |= tlb_perm_bit(Access::kWrite, user != 0);
      }
    }
    e.global = r.boolean();
    e.large = r.boolean();
    // An entry lives in the slot its linear page selects, with a page-aligned tag and frame.
    if (((e.tag >> 12) & (kTlbSize - 1)) != i || (e.tag & 0xFFFu) != 0 || (e.phys & 0xFFFu) != 0) {
      r.fail();
    }
    tlb[i] = e;
  }
  const uint32_t pages = r.u32();
  if (pages != page_has_code_.size()) r.fail();
  std::vector<uint8_t> has_code(page_has_code_.size(), 0);
  for (size_t i = 0; i < has_code.size() && !r.failed(); i += 8) {
    const uint8_t byte = r.u8();
    for (size_t b = 0; b < 8 && i + b < has_code.size(); ++b) has_code[i + b] = (byte >> b) & 1;
  }
  const bool guest_mode = r.boolean();
  const bool nested_active = r.boolean();
  VmControls c;
  c.exception_bitmap = r.u32();
  c.cr0_mask = r.u32();
  c.cr0_shadow = r.u32();
  c.cr4_mask = r.u32();
  c.cr4_shadow = r.u32();
  c.cr3_load_exiting = r.boolean();
  c.cr3_store_exiting = r.boolean();
  c.invlpg_exiting = r.boolean();
  c.hlt_exiting = r.boolean();
  c.cpuid_exiting = r.boolean();
  c.msr_exiting = r.boolean();
  c.rdtsc_exiting = r.boolean();
  c.unconditional_io_exiting = r.boolean();
  c.use_io_bitmap = r.boolean();
  const auto bitmap = r.bytes(c.io_bitmap.size());
  if (bitmap.size() == c.io_bitmap.size())
    std::memcpy(c.io_bitmap.data(), bitmap.data(), bitmap.size());
  c.external_interrupt_exiting = r.boolean();
  c.interrupt_window_exiting = r.boolean();
  c.nested_paging = r.boolean();
  c.nested_root = r.u32();
  c.virtualize_apic_accesses = r.boolean();
  c.apic_access_address = r.u32();
  get_interruption(r, c.injection);
  c.injection_instruction_length = r.u8_below(16);
  const uint64_t vm_exits = r.u64();
  const uint64_t nested_refs = r.u64();
  const uint64_t walk_refs = r.u64();
  bool nmi_pending = false, nmi_blocked = false;
  if (version >= 2) {
    nmi_pending = r.boolean();
    nmi_blocked = r.boolean();
    c.nmi_exiting = r.boolean();
    c.virtual_nmis = r.boolean();
    c.nmi_window_exiting = r.boolean();
  }
  if (version >= 3) {
    s.efer = r.u64();
    for (uint64_t& pdpte : s.pdpte) pdpte = r.u64();
    c.unrestricted_guest = r.boolean();
  }
  // Guest mode needs a monitor to exit to; nested paging needs guest mode.
  if ((guest_mode && vmx_monitor_ == nullptr) || (nested_active && !guest_mode)) r.fail();
  if (r.failed()) return false;

  s_ = s;
  std::memcpy(dr_, dr, sizeof dr_);
  tsc_offset_ = tsc_offset;
  icount_ = icount;
  units_ = units;
  budget_end_ = budget_end;
  cycles_ = cycles;
  insn_eip_ = insn_eip;
  check_events_ = check_events;
  fault_posted_ = fault_posted;
  posted_fault_ = posted;
  window_closed_ = window_closed;
  shadowed_icount_ = shadowed_icount;
  stop_requested_ = stop_requested;
  yield_requested_ = yield_requested;
  shutdown_ = shutdown;
  run_end_ = run_end;
  stop_message_ = std::move(stop_message);
  progress_icount_ = progress_icount;
  progress_streak_ = progress_streak;
  apic_pass_armed_ = apic_pass_armed;
  apic_pass_icount_ = apic_pass_icount;
  apic_pass_eip_ = apic_pass_eip;
  system_fence_ = system_fence;
  fetch_lin_page_ = fetch_lin_page;
  fetch_phys_page_ = fetch_phys_page;
  fetch_epoch_ = fetch_epoch;
  fetch_cpl_ = fetch_cpl;
  tlb_epoch_ = tlb_epoch;
  tlb_has_large_ = tlb_has_large;
  tlb_hits_ = tlb_hits;
  tlb_misses_ = tlb_misses;
  tlb_flushes_ = tlb_flushes;
  tlb_invlpgs_ = tlb_invlpgs;
  tlb_ = tlb;
  page_has_code_ = std::move(has_code);
  guest_mode_ = guest_mode;
  nested_active_ = nested_active;
  vmcs_ = c;
  vm_exits_ = vm_exits;
  nested_refs_ = nested_refs;
  walk_refs_ = walk_refs;
  nmi_pending_ = nmi_pending;
  nmi_blocked_ = nmi_blocked;
  // Every decoded block is stale: the memory under it was replaced.
  for (DecodedBlock& b : block_cache_) b.paddr = 0xFFFFFFFFu;
  for (uint32_t& g : page_generation_) ++g;
  scratch_block_.paddr = 0xFFFFFFFFu;
  return true;
}

}  // namespace vmlab::cpu
