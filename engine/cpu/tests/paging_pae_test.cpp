// PAE paging (SDM Vol. 3A, 4.4): the PDPTE registers and their #GP(0) at the MOV that loads
// them, 64-bit entries, 2 MiB pages, reserved bits (RSVD), frames above 4 GiB, NX with
// IA32_EFER.NXE and the I/D bit, A/D bits, global pages and INVLPG, and the saved state.
#include "engine/cpu/cpu_identity.h"
#include "engine/cpu/state_codec.h"
#include "engine/cpu/tests/system_test_support.h"

namespace vmlab::cpu::testing {
namespace {

constexpr uint64_t P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;
constexpr uint64_t XD = uint64_t{1} << 63;

class PaePagingTest : public SystemTest {
 protected:
  static constexpr uint32_t kPdpt = 0x100020;  // 32-byte aligned, not page aligned
  static constexpr uint32_t kPd = 0x101000;    // PDPTE 0: linear 0 - 1 GiB
  static constexpr uint32_t kPt0 = 0x102000;   // identity map of the first 2 MiB
  static constexpr uint32_t kPt1 = 0x103000;   // test mappings at 0x00200000-0x003FFFFF

  PaePagingTest() {
    cpu_.set_identity(identity_for_profile("core2"));  // a part with XD
    for (uint32_t i = 0; i < 512; ++i) poke64(kPt0 + 8 * i, (uint64_t{i} << 12) | P | RW | US);
    poke64(kPd + 0, kPt0 | P | RW | US);
    poke64(kPd + 8, kPt1 | P | RW | US);
    poke64(kPdpt + 0, kPd | P);
    // CR4.PAE first: a MOV to CR3 keeps bits 11:5 only under PAE (cpu_state.h, cr3).
    cpu_.write_cr4(cr4::PAE);
    cpu_.write_cr3(kPdpt);
    cpu_.write_cr0(cr0::PE | cr0::ET | cr0::PG);
  }
  void poke64(uint32_t addr, uint64_t v) {
    poke32(addr, static_cast<uint32_t>(v));
    poke32(addr + 4, static_cast<uint32_t>(v >> 32));
  }
  uint64_t peek64(uint32_t addr) const { return peek32(addr) | uint64_t{peek32(addr + 4)} << 32; }
  void map(uint32_t lin, uint64_t pte) { poke64(kPt1 + ((lin >> 12) & 0x1FF) * 8, pte); }
  uint64_t pte(uint32_t lin) const { return peek64(kPt1 + ((lin >> 12) & 0x1FF) * 8); }
  std::optional<CpuFault> access(uint32_t lin, Access a, bool user, uint32_t* pa = nullptr) {
    return catch_fault([&] {
      const uint32_t r = cpu_.translate(lin, a, user);
      if (pa) *pa = r;
    });
  }
  uint32_t tr(uint32_t lin, Access a = Access::kRead, bool user = false) {
    return cpu_.translate(lin, a, user);
  }
  void set_nxe() { ASSERT_TRUE(cpu_.write_msr(msr::IA32_EFER, msr::kEferNxe)); }
};

TEST_F(PaePagingTest, ModeEntryLoadsThePdptesAndFourKibPagesSetAccessedThenDirty) {
  EXPECT_EQ(st().cr3, kPdpt);  // bits 31:5 kept under PAE
  EXPECT_EQ(st().pdpte[0], kPd | P);
  EXPECT_EQ(st().pdpte[1], 0u);
  map(0x200000, 0x300000 | P | RW | US);
  const uint64_t refs = cpu_.walk_references();
  EXPECT_EQ(tr(0x200123), 0x300123u);
  EXPECT_EQ(cpu_.walk_references() - refs, 2u);  // PDE and PTE: the PDPTE is a register
  EXPECT_EQ(peek64(kPd + 8), kPt1 | P | RW | US | A);
  EXPECT_EQ(pte(0x200000), 0x300000u | P | RW | US | A);
  EXPECT_EQ(tr(0x200FFC, Access::kWrite), 0x300FFCu);
  EXPECT_EQ(pte(0x200000), 0x300000u | P | RW | US | A | D);
}

TEST_F(PaePagingTest, TwoMibPageIgnoresCr4PseAndChecksBits20To13) {
  poke64(kPd + 16, 0x00200000 | PS | P | RW);  // 0x00400000 -> physical 0x00200000
  EXPECT_EQ(tr(0x5ABCDE), 0x3ABCDEu);
  tr(0x400000, Access::kWrite);
  EXPECT_EQ(peek64(kPd + 16), 0x00200000u | PS | P | RW | A | D);
  poke64(kPd + 24, 0x00200000 | (1u << 13) | PS | P | RW);
  EXPECT_EQ(fault_text(access(0x600000, Access::kWrite, false)),
            fault_text(vec::PF, pferr::P | pferr::RSVD | pferr::W));
  EXPECT_EQ(st().cr2, 0x600000u);
}

TEST_F(PaePagingTest, ReservedBitsAboveMaxPhyAddrAndBit63WithoutNxe) {
  map(0x201000, (uint64_t{1} << 36) | 0x300000 | P | RW);
  EXPECT_EQ(fault_text(access(0x201000, Access::kRead, false)),
            fault_text(vec::PF, pferr::P | pferr::RSVD));
  map(0x202000, XD | 0x300000 | P | RW);
  EXPECT_EQ(fault_text(access(0x202000, Access::kRead, false)),
            fault_text(vec::PF, pferr::P | pferr::RSVD));
  set_nxe();
  EXPECT_EQ(tr(0x202010), 0x300010u);  // XD is no longer reserved
  // The faulting accesses left the entries as they were (no A bit).
  EXPECT_EQ(pte(0x201000), (uint64_t{1} << 36) | 0x300000 | P | RW);
}

TEST_F(PaePagingTest, NxFaultsFetchesOnlyAndSetsIdWithNxe) {
  set_nxe();
  map(0x203000, XD | 0x300000 | P | RW | US);
  EXPECT_EQ(tr(0x203004), 0x300004u);
  EXPECT_EQ(tr(0x203008, Access::kWrite, true), 0x300008u);
  EXPECT_EQ(fault_text(access(0x203000, Access::kExecute, false)),
            fault_text(vec::PF, pferr::P | pferr::I));
  EXPECT_EQ(fault_text(access(0x203000, Access::kExecute, true)),
            fault_text(vec::PF, pferr::P | pferr::I | pferr::U));
  // XD in the PDE covers the whole 2 MiB region; a not-present fetch reports I/D too.
  poke64(kPd + 8, XD | kPt1 | P | RW | US);
  map(0x204000, 0x300000 | P | RW | US);
  cpu_.tlb_flush(true);
  EXPECT_EQ(fault_text(access(0x204000, Access::kExecute, false)),
            fault_text(vec::PF, pferr::P | pferr::I));
  map(0x205000, 0);
  EXPECT_EQ(fault_text(access(0x205000, Access::kExecute, false)), fault_text(vec::PF, pferr::I));
  // Clearing NXE makes bit 63 reserved again, and the cached translations go with it.
  ASSERT_TRUE(cpu_.write_msr(msr::IA32_EFER, 0));
  EXPECT_EQ(fault_text(access(0x203000, Access::kRead, false)),
            fault_text(vec::PF, pferr::P | pferr::RSVD));
}

TEST_F(PaePagingTest, NotPresentPdpteAndRightsErrorCodes) {
  EXPECT_EQ(fault_text(access(0x40000000, Access::kWrite, true)),
            fault_text(vec::PF, pferr::W | pferr::U));
  map(0x206000, 0x300000 | P);  // read-only, supervisor
  EXPECT_EQ(fault_text(access(0x206000, Access::kRead, true)),
            fault_text(vec::PF, pferr::P | pferr::U));
  EXPECT_EQ(tr(0x206000, Access::kWrite), 0x300000u);  // WP = 0: supervisor writes go
  cpu_.write_cr0(cr0::PE | cr0::ET | cr0::PG | cr0::WP);
  EXPECT_EQ(fault_text(access(0x206000, Access::kWrite, false)),
            fault_text(vec::PF, pferr::P | pferr::W));
}

TEST_F(PaePagingTest, PdpteWithReservedBitsIsGpAtTheMovAndChangesNothing) {
  const uint32_t bad = 0x104000;
  poke64(bad + 8, kPd | P | RW);  // bit 1 is reserved in a PDPTE
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.write_cr3(bad); })), fault_text(vec::GP, 0));
  EXPECT_EQ(st().cr3, kPdpt);
  EXPECT_EQ(st().pdpte[1], 0u);
  poke64(bad + 8, (uint64_t{1} << 40) | kPd | P);  // above MAXPHYADDR
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.write_cr3(bad); })), fault_text(vec::GP, 0));
  // A not-present entry's other bits are not checked.
  poke64(bad + 8, ~uint64_t{1});
  poke64(bad + 0, kPd | P);
  cpu_.write_cr3(bad);
  EXPECT_EQ(st().pdpte[1], ~uint64_t{1});
  // Turning paging on with PAE checks them too (MOV to CR0), and so does setting PAE.
  cpu_.write_cr0(cr0::PE | cr0::ET);
  poke64(bad + 16, kPd | P | (1u << 5));
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.write_cr0(cr0::PE | cr0::ET | cr0::PG); })),
            fault_text(vec::GP, 0));
  EXPECT_FALSE(st().paging());
}

TEST_F(PaePagingTest, FrameAboveFourGibIsUnbackedAndTableAboveFourGibIsRsvd) {
  map(0x207000, (uint64_t{0xF} << 32) | 0x000000 | P | RW);  // frame 0xF00000000
  uint32_t pa = 0;
  EXPECT_FALSE(access(0x207010, Access::kWrite, false, &pa));
  EXPECT_EQ(pa, 0xFFFFF010u);  // the unbacked page: never RAM frame 0 (no 32-bit wrap)
  EXPECT_EQ(cpu_.lin_read32(0x207010), 0xFFFFFFFFu);
  cpu_.lin_write32(0x207010, 0x12345678u);
  EXPECT_EQ(peek32(0x10), 0u);
  // A page table at 8 GiB reads as all ones: present, reserved bits set.
  poke64(kPd + 16, (uint64_t{2} << 32) | P | RW);
  EXPECT_EQ(fault_text(access(0x400000, Access::kRead, false)),
            fault_text(vec::PF, pferr::P | pferr::RSVD));
}

TEST_F(PaePagingTest, GlobalPageSurvivesCr3ReloadButNotInvlpg) {
  cpu_.write_cr4(cr4::PAE | cr4::PGE);
  map(0x208000, 0x300000 | P | RW | G);
  map(0x209000, 0x301000 | P | RW);
  tr(0x208000);
  tr(0x209000);
  map(0x208000, 0x310000 | P | RW | G);
  map(0x209000, 0x311000 | P | RW);
  cpu_.write_cr3(kPdpt);
  EXPECT_EQ(tr(0x208000), 0x300000u);  // global: still cached
  EXPECT_EQ(tr(0x209000), 0x311000u);  // walked again
  cpu_.tlb_invlpg(0x208000);
  EXPECT_EQ(tr(0x208000), 0x310000u);
}

TEST_F(PaePagingTest, EferExistsOnlyWithXdAndHoldsNxeOnly) {
  uint64_t v = 1;
  EXPECT_TRUE(cpu_.read_msr(msr::IA32_EFER, v));
  EXPECT_EQ(v, 0u);
  EXPECT_FALSE(cpu_.write_msr(msr::IA32_EFER, uint64_t{1} << 8));  // LME
  EXPECT_FALSE(cpu_.write_msr(msr::IA32_EFER, 1));                 // SCE
  cpu_.set_identity(default_identity());                           // qemu32: no XD
  EXPECT_FALSE(cpu_.read_msr(msr::IA32_EFER, v));
  EXPECT_FALSE(cpu_.write_msr(msr::IA32_EFER, msr::kEferNxe));
  EXPECT_EQ(cpu_.cpuid(0x80000001u)[3], 0u);
  EXPECT_EQ(cpu_.cpuid(1)[3] & (1u << 6), 1u << 6);  // PAE
  cpu_.set_identity(identity_for_profile("pentium4"));
  EXPECT_EQ(cpu_.cpuid(0x80000001u)[3], 1u << 20);  // NX
}

TEST_F(PaePagingTest, SavedStateCarriesEferAndThePdptes) {
  set_nxe();
  ByteWriter w;
  cpu_.save_internal(w);
  const std::vector<uint8_t> bytes = w.take();
  ASSERT_TRUE(cpu_.write_msr(msr::IA32_EFER, 0));
  cpu_.write_cr0(cr0::PE | cr0::ET);
  cpu_.state().pdpte[0] = 0;
  ByteReader r(bytes);
  ASSERT_TRUE(cpu_.load_internal(r));
  EXPECT_EQ(st().efer, msr::kEferNxe);
  EXPECT_EQ(st().pdpte[0], kPd | P);
  EXPECT_TRUE(st().pae_paging());
}

}  // namespace
}  // namespace vmlab::cpu::testing
