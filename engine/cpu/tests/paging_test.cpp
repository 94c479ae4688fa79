// Paging and the software TLB (SDM Vol. 3A, chapter 4): 4 KiB and 4 MiB pages, U/S and
// R/W with CR0.WP, accessed and dirty bits in memory, #PF error codes and CR2, global
// pages across CR3 reloads, and the TLB's indifference to page-table writes until INVLPG.
#include <sstream>

#include "engine/cpu/cpu_observer.h"
#include "engine/cpu/tests/system_test_support.h"

namespace vmlab::cpu::testing {
namespace {

constexpr uint32_t P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;

class PagingTest : public SystemTest {
 protected:
  static constexpr uint32_t kPd = 0x100000;
  static constexpr uint32_t kPt0 = 0x101000;  // identity map of the first 4 MiB
  static constexpr uint32_t kPt1 = 0x102000;  // test mappings at 0x00400000-0x007FFFFF

  PagingTest() {
    for (uint32_t i = 0; i < 1024; ++i) poke32(kPt0 + 4 * i, (i << 12) | P | RW | US);
    poke32(kPd + 0, kPt0 | P | RW | US);
    poke32(kPd + 4, kPt1 | P | RW | US);
    cpu_.write_cr3(kPd);
    cpu_.write_cr0(cr0::PE | cr0::ET | cr0::PG);
  }
  void map(uint32_t lin, uint32_t pte) { poke32(kPt1 + ((lin >> 12) & 0x3FF) * 4, pte); }
  uint32_t pte(uint32_t lin) const { return peek32(kPt1 + ((lin >> 12) & 0x3FF) * 4); }
  uint32_t pde(uint32_t lin) const { return peek32(kPd + (lin >> 22) * 4); }

  std::optional<CpuFault> access(uint32_t lin, Access a, bool user, uint32_t* pa = nullptr) {
    return catch_fault([&] {
      const uint32_t r = cpu_.translate(lin, a, user);
      if (pa) *pa = r;
    });
  }
  uint32_t tr(uint32_t lin, Access a = Access::kRead, bool user = false) {
    return cpu_.translate(lin, a, user);
  }
};

TEST_F(PagingTest, FourKibPageSetsAccessedThenDirty) {
  map(0x400000, 0x200000 | P | RW | US);
  EXPECT_EQ(tr(0x400123), 0x200123u);
  EXPECT_EQ(pde(0x400000), kPt1 | P | RW | US | A);
  EXPECT_EQ(pte(0x400000), 0x200000u | P | RW | US | A);  // read: no D
  EXPECT_EQ(tr(0x400FFC, Access::kWrite), 0x200FFCu);
  EXPECT_EQ(pte(0x400000), 0x200000u | P | RW | US | A | D);
}

TEST_F(PagingTest, FirstWriteToACleanCachedPageWalksToSetDirty) {
  map(0x400000, 0x200000 | P | RW | US);
  const uint64_t hits = cpu_.tlb_hits(), misses = cpu_.tlb_misses();
  const uint64_t refs = cpu_.walk_references();
  tr(0x400000);                  // miss: fills the TLB without write permission
  tr(0x400004);                  // hit
  tr(0x400008, Access::kWrite);  // miss: the walker sets D
  tr(0x40000C, Access::kWrite);  // hit
  EXPECT_EQ(cpu_.tlb_misses() - misses, 2u);
  EXPECT_EQ(cpu_.tlb_hits() - hits, 2u);
  EXPECT_EQ(cpu_.walk_references() - refs, 4u);  // a PDE and a PTE per miss, none per hit
  EXPECT_EQ(pte(0x400000) & D, D);
}

TEST_F(PagingTest, FourMibPageWithPse) {
  cpu_.write_cr4(cr4::PSE);
  poke32(kPd + 8, 0x00000000 | PS | P | RW | US);  // 0x00800000 -> physical 0
  EXPECT_EQ(tr(0x812345), 0x012345u);
  EXPECT_EQ(pde(0x800000), PS | P | RW | US | A);
  tr(0x9FFFFC, Access::kWrite);
  EXPECT_EQ(pde(0x800000), PS | P | RW | US | A | D);
}

TEST_F(PagingTest, PsIsIgnoredWithoutCr4Pse) {
  // Without CR4.PSE the PDE points to a page table at physical 0, whose entries are 0.
  poke32(kPd + 8, 0x00000000 | PS | P | RW | US);
  ram_[0] = 0;
  EXPECT_EQ(fault_text(access(0x800000, Access::kRead, false)), fault_text(vec::PF, 0));
  EXPECT_EQ(st().cr2, 0x800000u);
}

TEST_F(PagingTest, ReservedBitInFourMibPdeIsRsvd) {
  cpu_.write_cr4(cr4::PSE);
  poke32(kPd + 8, 0x00002000 | PS | P | RW | US);  // bit 13
  EXPECT_EQ(fault_text(access(0x801000, Access::kWrite, true)),
            fault_text(vec::PF, pferr::P | pferr::RSVD | pferr::W | pferr::U));
  EXPECT_EQ(st().cr2, 0x801000u);
  EXPECT_EQ(pde(0x800000) & A, 0u);  // a faulting access sets no accessed bit
}

TEST_F(PagingTest, NotPresentErrorCodes) {
  EXPECT_EQ(fault_text(access(0x401000, Access::kRead, false)), fault_text(vec::PF, 0));
  EXPECT_EQ(fault_text(access(0x401004, Access::kWrite, true)),
            fault_text(vec::PF, pferr::W | pferr::U));
  EXPECT_EQ(st().cr2, 0x401004u);
  poke32(kPd + 12, 0);  // PDE not present
  EXPECT_EQ(fault_text(access(0xC00000, Access::kRead, true)), fault_text(vec::PF, pferr::U));
  EXPECT_EQ(st().cr2, 0xC00000u);
}

TEST_F(PagingTest, UserAccessToSupervisorPage) {
  map(0x400000, 0x200000 | P | RW);
  EXPECT_EQ(fault_text(access(0x400010, Access::kRead, true)),
            fault_text(vec::PF, pferr::P | pferr::U));
  EXPECT_EQ(st().cr2, 0x400010u);
  EXPECT_EQ(tr(0x400010), 0x200010u);  // supervisor is fine
  // U/S clear in the PDE only also denies user access.
  map(0x401000, 0x201000 | P | RW | US);
  poke32(kPd + 4, kPt1 | P | RW);
  cpu_.tlb_flush(true);
  EXPECT_EQ(fault_text(access(0x401000, Access::kRead, true)),
            fault_text(vec::PF, pferr::P | pferr::U));
}

TEST_F(PagingTest, ReadOnlyPageAndCr0Wp) {
  map(0x400000, 0x200000 | P | US);
  EXPECT_EQ(fault_text(access(0x400000, Access::kWrite, true)),
            fault_text(vec::PF, pferr::P | pferr::W | pferr::U));
  // WP = 0: the supervisor writes a read-only page (and sets D).
  EXPECT_EQ(fault_text(access(0x400000, Access::kWrite, false)), "none");
  EXPECT_EQ(pte(0x400000), 0x200000u | P | US | A | D);
  // WP = 1 (the TLB is flushed by the change): the same write faults.
  cpu_.write_cr0(st().cr0 | cr0::WP);
  EXPECT_EQ(fault_text(access(0x400000, Access::kWrite, false)),
            fault_text(vec::PF, pferr::P | pferr::W));
  EXPECT_EQ(st().cr2, 0x400000u);
}

TEST_F(PagingTest, StaleTranslationIsUsedUntilInvlpg) {
  map(0x400000, 0x200000 | P | RW | US);
  EXPECT_EQ(tr(0x400000), 0x200000u);
  map(0x400000, 0x300000 | P | RW | US);  // the processor does not snoop this write
  EXPECT_EQ(tr(0x400000), 0x200000u);
  cpu_.tlb_invlpg(0x400ABC);
  EXPECT_EQ(tr(0x400000), 0x300000u);
  map(0x400000, 0);  // unmapped, but still cached
  EXPECT_EQ(tr(0x400000), 0x300000u);
  st().gpr[EAX] = 0x400000;
  EXPECT_EQ(fault_text(exec({0x0F, 0x01, 0x38})), "none");  // invlpg [eax]
  EXPECT_EQ(fault_text(access(0x400000, Access::kRead, false)), fault_text(vec::PF, 0));
}

TEST_F(PagingTest, GlobalPagesSurviveCr3ReloadButNotInvlpg) {
  cpu_.write_cr4(cr4::PGE);
  map(0x400000, 0x200000 | P | RW | US | G);
  map(0x401000, 0x201000 | P | RW | US);
  EXPECT_EQ(tr(0x400000), 0x200000u);
  EXPECT_EQ(tr(0x401000), 0x201000u);
  map(0x400000, 0x300000 | P | RW | US | G);
  map(0x401000, 0x301000 | P | RW | US);
  const uint64_t flushes = cpu_.tlb_flushes();
  cpu_.write_cr3(kPd);
  EXPECT_EQ(cpu_.tlb_flushes() - flushes, 1u);
  EXPECT_EQ(tr(0x400000), 0x200000u);  // global: kept
  EXPECT_EQ(tr(0x401000), 0x301000u);  // not global: reloaded
  cpu_.tlb_invlpg(0x400000);
  EXPECT_EQ(tr(0x400000), 0x300000u);
  // A CR4 write that toggles PGE drops global entries too.
  map(0x400000, 0x200000 | P | RW | US | G);
  cpu_.write_cr4(0);
  EXPECT_EQ(tr(0x400000), 0x200000u);
}

TEST_F(PagingTest, InvlpgDropsEveryPieceOfAFourMibPage) {
  cpu_.write_cr4(cr4::PSE);
  poke32(kPd + 8, 0x00000000 | PS | P | RW | US);
  EXPECT_EQ(tr(0x800000), 0x000000u);
  EXPECT_EQ(tr(0x9FF000), 0x1FF000u);
  poke32(kPd + 8, 0x00400000 | PS | P | RW | US);
  cpu_.tlb_invlpg(0x800000);
  EXPECT_EQ(tr(0x9FF000), 0x5FF000u);
}

TEST_F(PagingTest, PageFaultAtCpl3IsDeliveredWithCr2) {
  map(0x400000, 0x200000 | P | RW);  // supervisor only
  enter_cpl(3);
  run_code({0xA1, 0x00, 0x00, 0x40, 0x00}, 1);  // mov eax, [0x400000]
  EXPECT_EQ(st().eip, halted_in(vec::PF));
  EXPECT_EQ(st().cr2, 0x400000u);
  EXPECT_EQ(st().gpr[ESP], kStack0 - 24);
  EXPECT_EQ(peek32(kStack0 - 24), pferr::P | pferr::U);
  EXPECT_EQ(peek32(kStack0 - 20), kCodeBase);
}

TEST_F(PagingTest, DescriptorTableAccessesAreSupervisorEvenAtCpl3) {
  // The IDT, GDT and TSS pages are supervisor-only; delivering INT 0x80 from ring 3 still
  // reads them (implicit supervisor accesses, SDM Vol. 3A 4.6).
  for (uint32_t page = kGdt; page <= kTss + 0x2000; page += 0x1000) {
    poke32(kPt0 + (page >> 12) * 4, page | P | RW);
  }
  set_gate(0x80, gate_desc(kCode0, handler(0x80), sys_type::kInterruptGate32, 3));
  enter_cpl(3);
  run_code({0xCD, 0x80}, 1);
  EXPECT_EQ(st().eip, handler(0x80));
  EXPECT_EQ(st().cpl, 0);
}

TEST_F(PagingTest, GpWhileDeliveringPageFaultIsDoubleFault) {
  set_gate(vec::PF, gate_desc(0x1F8, handler(vec::PF), sys_type::kInterruptGate32, 0));
  run_code({0xA1, 0x00, 0x10, 0x40, 0x00}, 1);  // mov eax, [0x401000]: not present
  EXPECT_EQ(st().eip, halted_in(vec::DF));
  EXPECT_EQ(st().cr2, 0x401000u);
  EXPECT_EQ(peek32(kStack0 - 16), 0u);
  EXPECT_EQ(peek32(kStack0 - 12), kCodeBase);
}

TEST_F(PagingTest, PageFaultWhileDeliveringPageFaultIsDoubleFault) {
  // The ring-0 stack page is not present: delivering the #PF from ring 3 faults again.
  // The #DF gate leads to a ring-3 conforming handler, whose frame fits on the user stack.
  poke32(kPt0 + ((kStack0 - 4) >> 12) * 4, 0);
  set_gate(vec::DF, gate_desc(kConforming, handler(vec::DF), sys_type::kInterruptGate32, 0));
  poke(handler(vec::DF), {0x90});
  enter_cpl(3);
  run_code({0xA1, 0x00, 0x10, 0x40, 0x00}, 1);
  EXPECT_EQ(st().eip, handler(vec::DF) + 1);
  EXPECT_EQ(st().cr2, kStack0 - 4);  // the second fault's address
  EXPECT_EQ(st().gpr[ESP], kStack3 - 16);
  EXPECT_EQ(peek32(kStack3 - 16), 0u);
  EXPECT_EQ(peek32(kStack3 - 12), kCodeBase);
}

TEST_F(PagingTest, TurningPagingOffFlushesAndTranslatesIdentically) {
  map(0x400000, 0x200000 | P | RW | US);
  EXPECT_EQ(tr(0x400000), 0x200000u);
  cpu_.write_cr0(cr0::PE | cr0::ET);
  EXPECT_EQ(tr(0x400000), 0x400000u);
  cpu_.write_cr0(cr0::PE | cr0::ET | cr0::PG);
  map(0x400000, 0x300000 | P | RW | US);
  EXPECT_EQ(tr(0x400000), 0x300000u);
}

// The observer (cpu_observer.h) sees the events the trace needs, in order.
class RecordingObserver : public CpuObserver {
 public:
  void on_interrupt(uint8_t v, EventSource, bool has_err, uint32_t err, uint32_t eip,
                    uint8_t cpl) override {
    log << "int " << unsigned{v};
    if (has_err) log << "/" << err;
    log << " eip " << eip << " cpl " << unsigned{cpl} << "; ";
  }
  void on_cr_write(uint8_t cr, uint32_t old_value, uint32_t new_value) override {
    log << "cr" << unsigned{cr} << " " << old_value << "->" << new_value << "; ";
  }
  void on_tlb_flush(bool global) override { log << (global ? "flush all; " : "flush; "); }
  void on_invlpg(uint32_t lin) override { log << "invlpg " << lin << "; "; }
  void on_page_fault(uint32_t lin, uint32_t err) override {
    log << "pf " << lin << "/" << err << "; ";
  }
  std::ostringstream log;
};

TEST_F(PagingTest, ObserverSeesCrWritesFlushesAndFaults) {
  RecordingObserver obs;
  cpu_.set_observer(&obs);
  cpu_.write_cr3(kPd);
  cpu_.tlb_invlpg(0x400000);
  enter_cpl(3);
  run_code({0xA1, 0x00, 0x10, 0x40, 0x00}, 1);  // mov eax, [0x401000]: not present
  cpu_.set_observer(nullptr);
  EXPECT_EQ(obs.log.str(),
            "cr3 1048576->1048576; flush; invlpg 4194304; pf 4198400/4; int 14/4 eip 4096 "
            "cpl 3; ");
}

}  // namespace
}  // namespace vmlab::cpu::testing
