// Paging: 32-bit two-level page tables with 4 KiB and 4 MiB pages, the software TLB,
// and the control-register writes that change paging. PAE paging is paging_pae.cpp.
//
// SDM Vol. 3A: 2.5 (CR0, CR3, CR4), 4.3 (32-bit paging, tables 4-4 to 4-6), 4.6 (access
// rights: U/S, R/W, CR0.WP), 4.7 (page-fault error code), 4.8 (accessed and dirty flags),
// 4.10 (TLBs: global pages, INVLPG, invalidation by MOV to CR0/CR3/CR4).
#include "engine/cpu/cpu.h"

namespace vmlab::cpu {

namespace {

// Paging-structure entry bits (SDM Vol. 3A, tables 4-4 to 4-6).
namespace pte {
constexpr uint32_t P = 1u << 0;
constexpr uint32_t RW = 1u << 1;
constexpr uint32_t US = 1u << 2;
constexpr uint32_t A = 1u << 5;
constexpr uint32_t D = 1u << 6;
constexpr uint32_t PS = 1u << 7;
constexpr uint32_t G = 1u << 8;
// A 4 MiB PDE: bits 20:13 hold physical-address bits 39:32 only with PSE-36, which this
// processor does not report; with MAXPHYADDR = 32 bits 21:13 are reserved (table 4-4).
constexpr uint32_t kLargeReserved = 0x003FE000u;
}  // namespace pte

constexpr uint32_t kPageMask = 0xFFFu;

}  // namespace

void Cpu::page_fault(uint32_t lin, uint32_t error_code) {
  // A page fault invalidates the TLB entries for the faulting address (SDM Vol. 3A,
  // 4.10.4.1), so that a handler which fixes the tables needs no INVLPG. The epoch bump
  // drops the fetch path's cached code-page translation too (a copy-on-write fault on a
  // page that also holds code).
  TlbEntry& e = tlb_[(lin >> 12) & (kTlbSize - 1)];
  if (e.tag == (lin & ~kPageMask)) e.tag = 0xFFFFFFFFu;
  ++tlb_epoch_;
  // Journey stop 28: a #PF the exception bitmap intercepts becomes a VM exit (docs/journey.md).
  // In guest mode a #PF the exception bitmap intercepts exits before CR2 changes: the
  // qualification carries the linear address, and the guest's CR2 stays its own (SDM
  // Vol. 3C, 27.1 and 27.2.1). Shadow paging depends on it.
  if (guest_mode_ && (vmcs_.exception_bitmap & (1u << vec::PF))) [[unlikely]] {
    VmExit x;
    x.reason = vmx::ExitReason::kExceptionOrNmi;
    x.qualification = lin;
    x.interruption = {true, vec::PF, vmx::InterruptionType::kHardwareException, true, error_code};
    x.guest_linear_valid = true;
    x.guest_linear = lin;
    vm_exit(x);
  }
  s_.cr2 = lin;
  if (observer_) observer_->on_page_fault(lin, error_code);
  fault(vec::PF, error_code);
}

// The walk of SDM Vol. 3A 4.3. Accessed flags are set only when the access succeeds: a
// faulting access leaves the tables as they were (the SDM allows either; this keeps a
// restarted instruction's effects single). The paging-structure entries are read with
// physical accesses; the processor does not snoop later writes to them, which is why
// software must INVLPG after changing a PTE (4.10.4).
//
// In guest mode with nested paging the same walk is the two-dimensional one of Bhargava
// et al. (ASPLOS 2008): CR3 and every guest paging-structure entry hold guest-physical
// addresses, so each guest table reference first goes through the nested table (2
// references for a 4 KiB nested page), then reads the guest entry (1), and the final
// guest-physical address goes through the nested table once more (2): 2*2 + 2 + 2 = 8
// references for a 4 KiB guest page, nm + n + m with n = m = 2. With guest paging off only
// the final translation remains (2). The TLB caches the combined guest-linear to machine
// translation, so a hit costs nothing more than natively.
uint32_t Cpu::page_walk(uint32_t lin, Access access, bool user) {
  ++tlb_misses_;
  const bool write = access == Access::kWrite;
  const bool nested = nested_active_;
  const uint64_t refs_before = nested_refs_;
  nested_passed_ = false;
  if (nested && !s_.paging()) return nested_walk_page(lin, access, user);
  if (s_.cr4 & cr4::PAE) return page_walk_pae(lin, access, user);
  const uint32_t err_bits = (write ? pferr::W : 0) | (user ? pferr::U : 0);
  const bool wp = (s_.cr0 & cr0::WP) != 0;

  // A guest paging-structure reference: its machine address (after the nested table's
  // references, counted there) and the reference itself.
  auto table_entry = [&](uint32_t table_gpa) {
    if (!nested) {
      ++walk_refs_;
      return table_gpa;
    }
    ++nested_refs_;
    return nested_translate(table_gpa, Access::kRead, lin, true, false);
  };

  const uint32_t pde_addr = table_entry((s_.cr3 & 0xFFFFF000u) | ((lin >> 22) << 2));
  uint32_t pde = phys_read32(pde_addr);
  if (!(pde & pte::P)) page_fault(lin, err_bits);

  // Access rights (4.6): a user access needs U/S = 1 at both levels, a user write R/W = 1
  // at both levels; a supervisor write needs R/W = 1 only when CR0.WP = 1.
  auto check = [&](uint32_t rights) {
    if (user && !(rights & pte::US)) page_fault(lin, pferr::P | err_bits);
    if (write && (user || wp) && !(rights & pte::RW)) page_fault(lin, pferr::P | err_bits);
  };

  TlbEntry e;
  e.tag = lin & ~kPageMask;
  uint32_t rights;
  bool dirty;
  if ((pde & pte::PS) && (s_.cr4 & cr4::PSE)) {
    if (pde & pte::kLargeReserved) page_fault(lin, pferr::P | pferr::RSVD | err_bits);
    rights = pde;
    check(rights);
    const uint32_t updated = pde | pte::A | (write ? pte::D : 0);
    if (updated != pde) phys_write32(pde_addr, updated);
    dirty = (updated & pte::D) != 0;
    e.phys = (pde & 0xFFC00000u) | (lin & 0x003FF000u);
    e.global = (pde & pte::G) && (s_.cr4 & cr4::PGE);
    e.large = true;
    tlb_has_large_ = true;
  } else {
    const uint32_t pte_addr = table_entry((pde & 0xFFFFF000u) | ((lin >> 10) & 0xFFCu));
    const uint32_t entry = phys_read32(pte_addr);
    if (!(entry & pte::P)) page_fault(lin, err_bits);
    rights = pde & entry;
    check(rights);
    if (!(pde & pte::A)) phys_write32(pde_addr, pde | pte::A);
    const uint32_t updated = entry | pte::A | (write ? pte::D : 0);
    if (updated != entry) phys_write32(pte_addr, updated);
    dirty = (updated & pte::D) != 0;
    e.phys = entry & 0xFFFFF000u;
    e.global = (entry & pte::G) && (s_.cr4 & cr4::PGE);
  }

  // The final guest-physical address through the nested table; a read-only nested page
  // keeps the write bits out of the TLB entry.
  bool nested_writable = true;
  if (nested) {
    e.phys =
        nested_translate(e.phys | (lin & kPageMask), access, lin, true, true, &nested_writable) &
        ~kPageMask;
  }

  // The rights this entry grants, precomputed for the fast path. Write bits only when D
  // is set in memory, so the first write to a clean page comes back here.
  const bool rw = (rights & pte::RW) != 0;
  const bool us = (rights & pte::US) != 0;
  // Without NX every readable page is executable.
  uint8_t perm = tlb_perm_bit(Access::kRead, false) | tlb_perm_bit(Access::kExecute, false);
  if (dirty && (rw || !wp) && nested_writable) perm |= tlb_perm_bit(Access::kWrite, false);
  if (us) perm |= tlb_perm_bit(Access::kRead, true) | tlb_perm_bit(Access::kExecute, true);
  if (us && rw && dirty && nested_writable) perm |= tlb_perm_bit(Access::kWrite, true);
  e.perm = perm;
  if (!nested_passed_) tlb_[(lin >> 12) & (kTlbSize - 1)] = e;
  if (nested && vmx_monitor_) {
    vmx_monitor_->on_nested_walk(lin, static_cast<unsigned>(nested_refs_ - refs_before));
  }
  return e.phys | (lin & kPageMask);
}

// Guest paging off under nested paging: the linear address is guest-physical; only the
// nested dimension is walked. The TLB caches it like any translation (every access
// allowed: without paging there are no guest rights to check).
uint32_t Cpu::nested_walk_page(uint32_t lin, Access access, bool) {
  const uint64_t refs_before = nested_refs_;
  bool writable = true;
  TlbEntry e;
  e.tag = lin & ~kPageMask;
  e.phys = nested_translate(lin, access, lin, true, true, &writable) & ~kPageMask;
  const uint8_t read = tlb_perm_bit(Access::kRead, false) | tlb_perm_bit(Access::kRead, true) |
                       tlb_perm_bit(Access::kExecute, false) | tlb_perm_bit(Access::kExecute, true);
  const uint8_t wr = tlb_perm_bit(Access::kWrite, false) | tlb_perm_bit(Access::kWrite, true);
  e.perm = writable ? static_cast<uint8_t>(read | wr) : read;
  if (!nested_passed_) tlb_[(lin >> 12) & (kTlbSize - 1)] = e;
  if (vmx_monitor_) {
    vmx_monitor_->on_nested_walk(lin, static_cast<unsigned>(nested_refs_ - refs_before));
  }
  return e.phys | (lin & kPageMask);
}

// One guest-physical address through the nested table: a 32-bit two-level table in
// machine memory (P, R/W, PS as in ordinary paging; no U/S, no A/D). Each entry read is
// one reference. A missing entry, or a write to a read-only page, exits with reason 48,
// "EPT violation" (SDM Vol. 3C, 28.2.3.2 and table 27-7).
uint32_t Cpu::nested_translate(uint32_t gpa, Access access, uint32_t lin, bool lin_valid,
                               bool final_translation, bool* writable) {
  const uint32_t npde = phys_read32((vmcs_.nested_root & 0xFFFFF000u) | ((gpa >> 22) << 2));
  ++nested_refs_;
  uint32_t entry = npde;
  uint32_t machine = 0;
  if ((npde & pte::P) && (npde & pte::PS)) {
    machine = (npde & 0xFFC00000u) | (gpa & 0x003FFFFFu);
  } else if (npde & pte::P) {
    entry = phys_read32((npde & 0xFFFFF000u) | ((gpa >> 10) & 0xFFCu));
    ++nested_refs_;
    machine = (entry & 0xFFFFF000u) | (gpa & kPageMask);
  }
  const bool present = (entry & pte::P) && (npde & pte::P);
  const bool rw = present && (npde & pte::RW) && (entry & pte::RW);
  const bool write = access == Access::kWrite;
  if (!present && gpa >= ram_.size() && apic_pass_armed_ && apic_pass_icount_ == icount_ &&
      apic_pass_eip_ == insn_eip_) {
    // The instruction the monitor let through after its device page's EPT violation: the
    // access reaches the bus at the guest-physical address (outside the machine's RAM).
    nested_passed_ = true;
    if (writable) *writable = true;
    return gpa;
  }
  if (!present || (write && !rw)) {
    VmExit x;
    x.reason = vmx::ExitReason::kEptViolation;
    x.qualification =
        (access == Access::kRead ? vmx::ept_qual::kRead : 0) | (write ? vmx::ept_qual::kWrite : 0) |
        (access == Access::kExecute ? vmx::ept_qual::kFetch : 0) |
        (present ? vmx::ept_qual::kReadable | vmx::ept_qual::kExecutable : 0) |
        (rw ? vmx::ept_qual::kWritable : 0) | (lin_valid ? vmx::ept_qual::kLinearValid : 0) |
        (lin_valid && final_translation ? vmx::ept_qual::kFinalTranslation : 0);
    x.guest_linear_valid = lin_valid;
    x.guest_linear = lin;
    x.guest_physical = gpa;
    vm_exit(x);
  }
  if (writable) *writable = rw;
  return machine;
}

void Cpu::tlb_flush(bool include_global) {
  ++tlb_flushes_;
  ++tlb_epoch_;
  if (observer_) observer_->on_tlb_flush(include_global);
  bool large = false;
  for (TlbEntry& e : tlb_) {
    if (include_global || !e.global) {
      e.tag = 0xFFFFFFFFu;
    } else if (e.large) {
      large = true;
    }
  }
  tlb_has_large_ = large;
}

void Cpu::tlb_invlpg(uint32_t lin) {
  ++tlb_invlpgs_;
  ++tlb_epoch_;
  if (observer_) observer_->on_invlpg(lin);
  // INVLPG drops the entry of the page holding `lin`, global or not (4.10.4.1). For a
  // 4 MiB page every cached 4 KiB piece of it goes too.
  TlbEntry& e = tlb_[(lin >> 12) & (kTlbSize - 1)];
  if (e.tag == (lin & ~kPageMask)) e.tag = 0xFFFFFFFFu;
  if (tlb_has_large_) {
    const uint32_t region = lin & 0xFFC00000u;
    for (uint32_t i = 0; i < 1024; ++i) {
      TlbEntry& p = tlb_[((region >> 12) + i) & (kTlbSize - 1)];
      if (p.large && (p.tag & 0xFFC00000u) == region) p.tag = 0xFFFFFFFFu;
    }
  }
}

void Cpu::write_cr0(uint32_t v) {
  v = (v & cr0::kDefined) | cr0::ET;  // ET is hardwired to 1 since the i486
  if ((v & cr0::PG) && !(v & cr0::PE)) fault_gp(0);
  if ((v & cr0::NW) && !(v & cr0::CD)) fault_gp(0);
  // PE clear (with PG clear, checked above) is real-address mode (real_mode.cpp). In
  // guest mode the processor allows it only with the "unrestricted guest" control (SDM
  // Vol. 3C, 24.6.2, and 23.8: a CR0 value VMX operation does not support is #GP(0)).
  if (!(v & cr0::PE) && guest_mode_ && !vmcs_.real_mode_allowed()) fault_gp(0);
  // PAE paging on after the write, and PG, CD or NW changed: the PDPTEs load (4.4.1).
  if ((v & cr0::PG) && (s_.cr4 & cr4::PAE) && ((s_.cr0 ^ v) & (cr0::PG | cr0::CD | cr0::NW))) {
    load_pdptes(s_.cr3);
  }
  const uint32_t old = s_.cr0;
  s_.cr0 = v;
  // Turning paging on or off and changing WP invalidate every TLB entry, global ones too
  // (4.10.4.1). The fast-path rights depend on WP, so it must flush here as well.
  if (observer_) observer_->on_cr_write(0, old, v);
  if ((old ^ v) & (cr0::PG | cr0::WP | cr0::PE)) tlb_flush(true);
}

void Cpu::write_cr3(uint32_t v) {
  const uint32_t old = s_.cr3;
  const bool pae = (s_.cr4 & cr4::PAE) != 0;
  if (pae && s_.paging()) load_pdptes(v);
  s_.cr3 = v & (pae ? cr3::kDefinedPae : cr3::kDefined);
  if (observer_) observer_->on_cr_write(3, old, s_.cr3);
  // MOV to CR3 invalidates all non-global entries, even when the value does not change.
  tlb_flush(false);
}

void Cpu::write_cr4(uint32_t v) {
  if (v & ~cr4::kImplementedWithPae) fault_gp(0);
  if (s_.paging() && (v & cr4::PAE) && ((s_.cr4 ^ v) & (cr4::PAE | cr4::PGE | cr4::PSE))) {
    load_pdptes(s_.cr3);
  }
  const uint32_t old = s_.cr4;
  s_.cr4 = v;
  if (observer_) observer_->on_cr_write(4, old, v);
  if ((old ^ v) & (cr4::PSE | cr4::PGE | cr4::PAE)) tlb_flush(true);
}

}  // namespace vmlab::cpu
