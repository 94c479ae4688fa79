// PAE paging (SDM Vol. 3A, 4.4): the four PDPTE registers, 64-bit page-directory and
// page-table entries, 2 MiB pages, reserved-bit checks with the RSVD error-code bit, and
// execute-disable (NX) under IA32_EFER.NXE (4.6, 4.7).
//
// The physical-address width (MAXPHYADDR) is 36: no profile reports CPUID leaf 80000008H,
// and "if CPUID.80000008H is not supported, ... MAXPHYADDR is 36 if CPUID.01H:EDX.PAE
// [bit 6] = 1" (SDM Vol. 3A, 4.1.4). An entry may therefore name a frame between 4 GiB and
// 64 GiB. The machine's RAM ends below 4 GiB, so such a frame is unbacked: a paging
// structure there reads as all ones (every reserved bit set: a RSVD #PF), and a data page
// there is redirected to kUnbackedPage, a page below 4 GiB the machine decodes to nothing,
// where reads give all ones and writes are dropped, as for any physical address above RAM.
// Bits 35:32 of an entry never reach RAM: nothing is truncated to 32 bits.
#include "engine/cpu/cpu.h"

namespace vmlab::cpu {

namespace {

// PAE paging-structure entry bits (SDM Vol. 3A, tables 4-8 to 4-11).
namespace pae {
constexpr uint64_t P = 1u << 0;
constexpr uint64_t RW = 1u << 1;
constexpr uint64_t US = 1u << 2;
constexpr uint64_t A = 1u << 5;
constexpr uint64_t D = 1u << 6;
constexpr uint64_t PS = 1u << 7;
constexpr uint64_t G = 1u << 8;
constexpr uint64_t XD = uint64_t{1} << 63;
constexpr unsigned kMaxPhyAddr = 36;
// Bits MAXPHYADDR-1:12: the frame or table address.
constexpr uint64_t kAddress = ((uint64_t{1} << kMaxPhyAddr) - 1) & ~uint64_t{0xFFF};
// Bits 62:MAXPHYADDR are reserved in every entry; bit 63 too with EFER.NXE = 0.
constexpr uint64_t kReservedHigh = ~((uint64_t{1} << kMaxPhyAddr) - 1) & ~XD;
// A PDPTE (table 4-8): bits 2:1 and 8:5 reserved, and 63:MAXPHYADDR.
constexpr uint64_t kPdpteReserved = kReservedHigh | XD | 0x1E6u;
// A 2 MiB page's PDE (table 4-9): bits 20:13 reserved.
constexpr uint64_t kLargeReserved = 0x001FE000u;
}  // namespace pae

// Where a data page named above 4 GiB is served from: the last page below 4 GiB, which no
// device of vmlab's PC decodes (the APICs are at FEC00000H and FEE00000H, no BIOS ROM is
// mapped), so reads give all ones and writes are dropped. A guest that moves its local
// APIC to this page (IA32_APIC_BASE) would see it there: that is the one difference from a
// machine with a 36-bit bus, and it reaches the guest's own device only.
constexpr uint32_t kUnbackedPage = 0xFFFFF000u;
constexpr uint64_t k4GiB = uint64_t{1} << 32;
constexpr uint32_t kPageMask = 0xFFFu;

}  // namespace

// Reads the four PDPTEs of the table at CR3[31:5] (4.4.1). A present entry with a reserved
// bit set is #GP(0) at the MOV that loads them, and the registers keep their old values.
// Under nested paging CR3 is guest-physical: the 32-byte table goes through the nested
// table once (it never crosses a page).
void Cpu::load_pdptes(uint32_t cr3) {
  uint32_t table = cr3 & 0xFFFFFFE0u;
  if (nested_active_) table = nested_translate(table, Access::kRead, 0, false, false);
  uint64_t e[4];
  for (unsigned i = 0; i < 4; ++i) {
    e[i] = phys_read32(table + 8 * i) | uint64_t{phys_read32(table + 8 * i + 4)} << 32;
    if ((e[i] & pae::P) && (e[i] & pae::kPdpteReserved)) fault_gp(0);
  }
  for (unsigned i = 0; i < 4; ++i) s_.pdpte[i] = e[i];
}

// Every TLB entry goes, global ones too, without counting a flush or telling the
// observer: no instruction of the SDM flushes here, the cached rights simply no longer
// hold (EFER.NXE changed what an execute access needs).
void Cpu::tlb_drop_all() {
  for (TlbEntry& e : tlb_) e.tag = 0xFFFFFFFFu;
  tlb_has_large_ = false;
  ++tlb_epoch_;
}

// The walk of 4.4.2: PDPTE register, PDE, then PTE unless the PDE maps a 2 MiB page
// (PS = 1; CR4.PSE does not matter under PAE). As in the 32-bit walk (mmu.cpp), accessed
// and dirty flags are set only when the access succeeds, the entries are read with
// physical accesses, and with nested paging every guest table reference goes through the
// nested table first, so a 4 KiB page costs the same 8 references as a 32-bit guest's.
uint32_t Cpu::page_walk_pae(uint32_t lin, Access access, bool user) {
  const bool write = access == Access::kWrite;
  const bool fetch = access == Access::kExecute;
  const bool nxe = (s_.efer & msr::kEferNxe) != 0;
  const bool nested = nested_active_;
  const uint64_t refs_before = nested_refs_;
  const bool wp = (s_.cr0 & cr0::WP) != 0;
  // I/D is reported only with NXE = 1 (4.7).
  const uint32_t err_bits =
      (write ? pferr::W : 0) | (user ? pferr::U : 0) | (fetch && nxe ? pferr::I : 0);
  const uint64_t reserved = pae::kReservedHigh | (nxe ? 0 : pae::XD);

  const uint64_t pdpte = s_.pdpte[lin >> 30];
  if (!(pdpte & pae::P)) page_fault(lin, err_bits);

  // A paging-structure entry: its machine address, or none when the table lies above
  // 4 GiB (guest-physical above 4 GiB under nested paging: beyond the guest's memory).
  struct Ref {
    uint32_t machine;
    bool backed;
  };
  auto table_entry = [&](uint64_t address) -> Ref {
    if (address >= k4GiB) return {0, false};
    const auto gpa = static_cast<uint32_t>(address);
    if (!nested) {
      ++walk_refs_;
      return {gpa, true};
    }
    ++nested_refs_;
    return {nested_translate(gpa, Access::kRead, lin, true, false), true};
  };
  auto read_entry = [&](Ref r) -> uint64_t {
    if (!r.backed) return ~uint64_t{0};
    return phys_read32(r.machine) | uint64_t{phys_read32(r.machine + 4)} << 32;
  };
  // A/D live in the low half; a store to an unbacked table goes nowhere.
  auto write_low = [&](Ref r, uint64_t entry) {
    if (r.backed) phys_write32(r.machine, static_cast<uint32_t>(entry));
  };

  const Ref pde_ref = table_entry((pdpte & pae::kAddress) | ((lin >> 18) & 0xFF8u));
  const uint64_t pde = read_entry(pde_ref);
  if (!(pde & pae::P)) page_fault(lin, err_bits);
  if ((pde & reserved) || ((pde & pae::PS) && (pde & pae::kLargeReserved))) {
    page_fault(lin, pferr::P | pferr::RSVD | err_bits);
  }

  // Access rights (4.6): U/S and R/W combine across the levels as in 32-bit paging; a
  // fetch from a page with XD = 1 at any level is a fault when NXE = 1.
  auto check = [&](uint64_t rights, bool xd) {
    if (user && !(rights & pae::US)) page_fault(lin, pferr::P | err_bits);
    if (write && (user || wp) && !(rights & pae::RW)) page_fault(lin, pferr::P | err_bits);
    if (fetch && xd) page_fault(lin, pferr::P | err_bits);
  };

  TlbEntry e;
  e.tag = lin & ~kPageMask;
  uint64_t rights;
  uint64_t frame;
  bool xd;
  bool dirty;
  if (pde & pae::PS) {
    rights = pde;
    xd = nxe && (pde & pae::XD);
    check(rights, xd);
    const uint64_t updated = pde | pae::A | (write ? pae::D : 0);
    if (updated != pde) write_low(pde_ref, updated);
    dirty = (updated & pae::D) != 0;
    frame = (pde & pae::kAddress & ~uint64_t{0x1FFFFF}) | (lin & 0x001FF000u);
    e.global = (pde & pae::G) && (s_.cr4 & cr4::PGE);
    e.large = true;
    tlb_has_large_ = true;
  } else {
    const Ref pte_ref = table_entry((pde & pae::kAddress) | ((lin >> 9) & 0xFF8u));
    const uint64_t entry = read_entry(pte_ref);
    if (!(entry & pae::P)) page_fault(lin, err_bits);
    if (entry & reserved) page_fault(lin, pferr::P | pferr::RSVD | err_bits);
    rights = pde & entry;
    xd = nxe && ((pde | entry) & pae::XD);
    check(rights, xd);
    if (!(pde & pae::A)) write_low(pde_ref, pde | pae::A);
    const uint64_t updated = entry | pae::A | (write ? pae::D : 0);
    if (updated != entry) write_low(pte_ref, updated);
    dirty = (updated & pae::D) != 0;
    frame = entry & pae::kAddress;
    e.global = (entry & pae::G) && (s_.cr4 & cr4::PGE);
  }
  e.phys = frame >= k4GiB ? kUnbackedPage : static_cast<uint32_t>(frame);

  bool nested_writable = true;
  if (nested) {
    e.phys =
        nested_translate(e.phys | (lin & kPageMask), access, lin, true, true, &nested_writable) &
        ~kPageMask;
  }

  const bool rw = (rights & pae::RW) != 0;
  const bool us = (rights & pae::US) != 0;
  uint8_t perm = tlb_perm_bit(Access::kRead, false);
  if (!xd) perm |= tlb_perm_bit(Access::kExecute, false);
  if (dirty && (rw || !wp) && nested_writable) perm |= tlb_perm_bit(Access::kWrite, false);
  if (us) perm |= tlb_perm_bit(Access::kRead, true);
  if (us && !xd) perm |= tlb_perm_bit(Access::kExecute, true);
  if (us && rw && dirty && nested_writable) perm |= tlb_perm_bit(Access::kWrite, true);
  e.perm = perm;
  if (!nested_passed_) tlb_[(lin >> 12) & (kTlbSize - 1)] = e;
  if (nested && vmx_monitor_) {
    vmx_monitor_->on_nested_walk(lin, static_cast<unsigned>(nested_refs_ - refs_before));
  }
  return e.phys | (lin & kPageMask);
}

}  // namespace vmlab::cpu
