// Segment-register loads and the protection rules of SDM Vol. 3A 5.4-5.8: null selectors,
// type and privilege checks for DS/ES/FS/GS and SS, segment limits (expand-up and
// expand-down), MOV/POP/LDS/LSS, far JMP/CALL/RET with call gates, ARPL, LAR/LSL/VERR/VERW.
#include "engine/cpu/tests/system_test_support.h"

namespace vmlab::cpu::testing {
namespace {

using SegmentTest = SystemTest;

TEST_F(SegmentTest, LoadsDataSegmentCacheAndSetsAccessedBit) {
  EXPECT_FALSE(Descriptor{gdt(kSmallData)}.accessed());
  cpu_.load_segment(DS, kSmallData);
  const SegmentCache& ds = st().seg[DS];
  EXPECT_EQ(ds.selector, kSmallData);
  EXPECT_EQ(ds.base, 0x30000u);
  EXPECT_EQ(ds.limit, 0xFFFu);
  EXPECT_EQ(ds.type, 0x3);  // accessed bit now set in the cache, as in memory
  EXPECT_TRUE(ds.usable);
  EXPECT_EQ(gdt(kSmallData) >> 40 & 0xFF, 0x93u);  // P=1 DPL=0 S=1 type=3 in memory
}

TEST_F(SegmentTest, GranularityScalesTheLimit) {
  cpu_.load_segment(ES, kData0);
  EXPECT_EQ(st().seg[ES].limit, 0xFFFFFFFFu);
  EXPECT_TRUE(st().seg[ES].g);
}

TEST_F(SegmentTest, NullSelectorInDataSegmentFaultsOnlyOnUse) {
  cpu_.load_segment(DS, 0x0003);
  EXPECT_FALSE(st().seg[DS].usable);
  EXPECT_EQ(st().seg[DS].selector, 0x0003);
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.read32(DS, 0); })), fault_text(vec::GP, 0));
}

TEST_F(SegmentTest, NullSelectorInSsIsGp0) {
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.load_segment(SS, 0); })), fault_text(vec::GP, 0));
}

TEST_F(SegmentTest, SsMustBeWritableDataWithRplAndDplEqualToCpl) {
  // RPL 3 at CPL 0.
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.load_segment(SS, kData0 | 3); })),
            fault_text(vec::GP, kData0));
  // DPL 3 at CPL 0.
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.load_segment(SS, kData3 & ~3); })),
            fault_text(vec::GP, kData3 & ~3));
  // Read-only data.
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.load_segment(SS, kReadOnly); })),
            fault_text(vec::GP, kReadOnly));
  // Code.
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.load_segment(SS, kCode0); })),
            fault_text(vec::GP, kCode0));
  // Not present: #SS, not #NP.
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.load_segment(SS, kNotPresent); })),
            fault_text(vec::SS, kNotPresent));
  EXPECT_EQ(st().seg[SS].selector, kData0);  // unchanged after every fault
  cpu_.load_segment(SS, kSmallData);
  EXPECT_EQ(st().seg[SS].base, 0x30000u);
}

TEST_F(SegmentTest, SsAtCpl3NeedsDpl3) {
  enter_cpl(3);
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.load_segment(SS, kData0 | 3); })),
            fault_text(vec::GP, kData0));
  cpu_.load_segment(SS, kData3);
  EXPECT_EQ(st().seg[SS].dpl, 3);
}

TEST_F(SegmentTest, DataSegmentDplMustBeAtLeastCplAndRpl) {
  enter_cpl(3);
  // DPL 0 data from CPL 3.
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.load_segment(DS, kData0 | 3); })),
            fault_text(vec::GP, kData0));
  enter_cpl(0);
  // RPL 3 on a DPL 0 segment at CPL 0.
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.load_segment(DS, kData0 | 3); })),
            fault_text(vec::GP, kData0));
  // DPL 3 data from CPL 0 with RPL 0 is fine.
  cpu_.load_segment(DS, kData3);
  EXPECT_EQ(st().seg[DS].dpl, 3);
}

TEST_F(SegmentTest, ConformingReadableCodeLoadsFromAnyLevel) {
  enter_cpl(3);
  cpu_.load_segment(DS, kConforming | 3);
  EXPECT_TRUE(st().seg[DS].conforming());
  EXPECT_EQ(cpu_.read32(DS, kCodeBase), 0u);
  // A write through a code segment is #GP(0).
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.write32(DS, 0, 1); })), fault_text(vec::GP, 0));
}

TEST_F(SegmentTest, ExecuteOnlyCodeAndSystemSegmentsCannotBeDataSegments) {
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.load_segment(DS, kExecOnly); })),
            fault_text(vec::GP, kExecOnly));
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.load_segment(FS, kTssSel); })),
            fault_text(vec::GP, kTssSel));
}

TEST_F(SegmentTest, NotPresentDataSegmentIsNp) {
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.load_segment(GS, kNotPresent); })),
            fault_text(vec::NP, kNotPresent));
}

TEST_F(SegmentTest, SelectorBeyondGdtLimitIsGpSelector) {
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.load_segment(DS, 0x100); })),
            fault_text(vec::GP, 0x100));
  // The descriptor at 0xF8 ends exactly at the limit 0xFF: inside.
  set_gdt(0xF8, flat(0x2, 0));
  cpu_.load_segment(DS, 0xF8);
  EXPECT_EQ(st().seg[DS].selector, 0xF8);
}

TEST_F(SegmentTest, LdtSelectors) {
  cpu_.load_segment(DS, 0x000F);  // LDT entry 1, RPL 3
  EXPECT_EQ(st().seg[DS].dpl, 3);
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.load_segment(DS, 0x0104); })),
            fault_text(vec::GP, 0x0104));  // beyond the LDT limit 0xFF
  cpu_.load_ldtr(0);
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.load_segment(DS, 0x000F); })),
            fault_text(vec::GP, 0x000C));  // null LDTR
}

TEST_F(SegmentTest, ExpandUpLimit) {
  cpu_.load_segment(DS, kSmallData);
  EXPECT_EQ(cpu_.read32(DS, 0xFFC), 0u);
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.read32(DS, 0xFFD); })), fault_text(vec::GP, 0));
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.read8(DS, 0x1000); })), fault_text(vec::GP, 0));
}

TEST_F(SegmentTest, ExpandDownLimit) {
  cpu_.load_segment(DS, kExpandDown);
  // Valid offsets are limit+1 .. 4 GiB-1 (B = 1).
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.read8(DS, 0xFFF); })), fault_text(vec::GP, 0));
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.read32(DS, 0xFFE); })), fault_text(vec::GP, 0));
  EXPECT_EQ(cpu_.read8(DS, 0x1000), 0u);
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.read32(DS, 0xFFFFFFFE); })), fault_text(vec::GP, 0));
}

TEST_F(SegmentTest, StackLimitViolationIsSs0) {
  cpu_.load_segment(SS, kSmallData);
  st().gpr[ESP] = 0x2;
  EXPECT_EQ(fault_text(catch_fault([&] { cpu_.push32(1); })), fault_text(vec::SS, 0));
  EXPECT_EQ(st().gpr[ESP], 0x2u);
}

TEST_F(SegmentTest, MovSsSetsInterruptShadowAndMovCsIsUd) {
  st().gpr[EAX] = kSmallData;
  EXPECT_EQ(fault_text(exec({0x8E, 0xD0})), "none");  // mov ss, ax
  EXPECT_EQ(st().seg[SS].selector, kSmallData);
  EXPECT_TRUE(st().interrupt_shadow);
  EXPECT_EQ(fault_text(exec({0x8E, 0xC8})), fault_text(vec::UD));  // mov cs, ax
}

TEST_F(SegmentTest, MovFromCsShowsTheRealRpl) {
  enter_cpl(1);
  st().gpr[EAX] = 0xFFFFFFFF;
  EXPECT_EQ(fault_text(exec({0x8C, 0xC8})), "none");  // mov eax, cs
  EXPECT_EQ(st().gpr[EAX], uint32_t{kCode1});
}

TEST_F(SegmentTest, PushPopSegmentRegisters) {
  cpu_.load_segment(ES, kSmallData);
  EXPECT_EQ(fault_text(exec({0x06})), "none");  // push es
  EXPECT_EQ(st().gpr[ESP], kStack0 - 4);
  EXPECT_EQ(peek32(kStack0 - 4), uint32_t{kSmallData});
  EXPECT_EQ(fault_text(exec({0x1F})), "none");  // pop ds
  EXPECT_EQ(st().seg[DS].base, 0x30000u);
  EXPECT_EQ(st().gpr[ESP], kStack0);
  // A faulting POP leaves ESP alone.
  poke32(kStack0 - 4, kNotPresent);
  st().gpr[ESP] = kStack0 - 4;
  EXPECT_EQ(fault_text(exec({0x1F})), fault_text(vec::NP, kNotPresent));
  EXPECT_EQ(st().gpr[ESP], kStack0 - 4);
}

TEST_F(SegmentTest, LdsAndLss) {
  poke32(0x7000, 0x1234);
  poke32(0x7004, kSmallData);
  EXPECT_EQ(fault_text(exec({0xC5, 0x05, 0x00, 0x70, 0x00, 0x00})), "none");  // lds eax, [0x7000]
  EXPECT_EQ(st().gpr[EAX], 0x1234u);
  EXPECT_EQ(st().seg[DS].selector, kSmallData);
  poke32(0x7000, 0x800);
  st().seg[DS] = Descriptor{gdt(kData0)}.to_cache(kData0);
  EXPECT_EQ(fault_text(exec({0x0F, 0xB2, 0x25, 0x00, 0x70, 0x00, 0x00})), "none");  // lss esp
  EXPECT_EQ(st().gpr[ESP], 0x800u);
  EXPECT_EQ(st().seg[SS].selector, kSmallData);
}

TEST_F(SegmentTest, FarJumpToNonConformingCodeOfAnotherLevelIsGp) {
  enter_cpl(3);
  // jmp 0x0008:0x2000 from CPL 3.
  EXPECT_EQ(fault_text(exec({0xEA, 0x00, 0x20, 0x00, 0x00, 0x08, 0x00})),
            fault_text(vec::GP, kCode0));
  // To a conforming DPL 0 segment it is allowed and CPL stays 3.
  EXPECT_EQ(fault_text(exec({0xEA, 0x00, 0x20, 0x00, 0x00, 0x60, 0x00})), "none");
  EXPECT_EQ(st().eip, 0x2000u);
  EXPECT_EQ(st().cpl, 3);
  EXPECT_EQ(st().seg[CS].selector, kConforming | 3);
  // To a data segment: #GP(selector).
  EXPECT_EQ(fault_text(exec({0xEA, 0x00, 0x20, 0x00, 0x00, 0x23, 0x00})),
            fault_text(vec::GP, 0x20));
}

TEST_F(SegmentTest, FarCallAndReturnSameLevel) {
  st().eip = 0x1000;
  EXPECT_EQ(fault_text(exec({0x9A, 0x00, 0x30, 0x00, 0x00, 0x60, 0x00})), "none");
  EXPECT_EQ(st().eip, 0x3000u);
  EXPECT_EQ(st().seg[CS].selector, kConforming);
  EXPECT_EQ(st().gpr[ESP], kStack0 - 8);
  EXPECT_EQ(peek32(kStack0 - 4), uint32_t{kCode0});
  EXPECT_EQ(peek32(kStack0 - 8), 0x1007u);
  EXPECT_EQ(fault_text(exec({0xCA, 0x04, 0x00})), "none");  // retf 4
  EXPECT_EQ(st().eip, 0x1007u);
  EXPECT_EQ(st().seg[CS].selector, kCode0);
  EXPECT_EQ(st().gpr[ESP], kStack0 + 4);
}

TEST_F(SegmentTest, CallGateToRing0CopiesParametersAndSwitchesStacks) {
  enter_cpl(3);
  st().eip = 0x1000;
  st().gpr[ESP] = kStack3 - 8;
  poke32(kStack3 - 8, 0x11111111);  // parameter 1 (top of stack)
  poke32(kStack3 - 4, 0x22222222);  // parameter 2
  // call 0x007B:0 (the offset is ignored for a gate).
  EXPECT_EQ(fault_text(exec({0x9A, 0x00, 0x00, 0x00, 0x00, 0x7B, 0x00})), "none");
  EXPECT_EQ(st().cpl, 0);
  EXPECT_EQ(st().seg[CS].selector, kCode0);
  EXPECT_EQ(st().eip, kGateTarget);
  EXPECT_EQ(st().seg[SS].selector, kData0);
  EXPECT_EQ(st().gpr[ESP], kStack0 - 24);
  EXPECT_EQ(peek32(kStack0 - 4), uint32_t{kData3});  // old SS
  EXPECT_EQ(peek32(kStack0 - 8), kStack3 - 8);       // old ESP
  EXPECT_EQ(peek32(kStack0 - 12), 0x22222222u);
  EXPECT_EQ(peek32(kStack0 - 16), 0x11111111u);
  EXPECT_EQ(peek32(kStack0 - 20), uint32_t{kCode3});
  EXPECT_EQ(peek32(kStack0 - 24), 0x1007u);

  // The kernel loads DS with its own segment; retf 8 back to ring 3 nulls it.
  cpu_.load_segment(DS, kData0);
  cpu_.load_segment(FS, kData3);
  EXPECT_EQ(fault_text(exec({0xCA, 0x08, 0x00})), "none");
  EXPECT_EQ(st().cpl, 3);
  EXPECT_EQ(st().eip, 0x1007u);
  EXPECT_EQ(st().seg[CS].selector, kCode3);
  EXPECT_EQ(st().seg[SS].selector, kData3);
  EXPECT_EQ(st().gpr[ESP], kStack3);  // old ESP + the 8 released parameter bytes
  EXPECT_FALSE(st().seg[DS].usable);
  EXPECT_EQ(st().seg[DS].selector, 0);
  EXPECT_TRUE(st().seg[FS].usable);  // DPL 3: kept
}

TEST_F(SegmentTest, CallGateChecks) {
  enter_cpl(3);
  // Gate DPL 0 from CPL 3: #GP(gate selector).
  set_gdt(kFree, gate_desc(kCode0, kGateTarget, sys_type::kCallGate32, 0));
  EXPECT_EQ(fault_text(exec({0x9A, 0, 0, 0, 0, kFree | 3, 0})), fault_text(vec::GP, kFree));
  // Not-present gate: #NP(gate selector).
  set_gdt(kFree, gate_desc(kCode0, kGateTarget, sys_type::kCallGate32, 3, false));
  EXPECT_EQ(fault_text(exec({0x9A, 0, 0, 0, 0, kFree | 3, 0})), fault_text(vec::NP, kFree));
  // JMP through a gate to a more privileged non-conforming segment: #GP(target).
  EXPECT_EQ(fault_text(exec({0xEA, 0, 0, 0, 0, 0x7B, 0})), fault_text(vec::GP, kCode0));
}

TEST_F(SegmentTest, FarReturnToMorePrivilegedLevelIsGp) {
  enter_cpl(3);
  poke32(kStack3 - 8, 0x1000);
  poke32(kStack3 - 4, kCode0);
  st().gpr[ESP] = kStack3 - 8;
  EXPECT_EQ(fault_text(exec({0xCB})), fault_text(vec::GP, kCode0));
  EXPECT_EQ(st().gpr[ESP], kStack3 - 8);
}

TEST_F(SegmentTest, Arpl) {
  st().gpr[EAX] = 0x0010;
  st().gpr[ECX] = 0x0003;
  EXPECT_EQ(fault_text(exec({0x63, 0xC8})), "none");  // arpl ax, cx
  EXPECT_EQ(st().gpr[EAX], 0x13u);
  EXPECT_TRUE(st().eflags & flags::ZF);
  EXPECT_EQ(fault_text(exec({0x63, 0xC8})), "none");
  EXPECT_FALSE(st().eflags & flags::ZF);
}

TEST_F(SegmentTest, LarLslVerrVerw) {
  enter_cpl(3);
  st().gpr[ECX] = kData3;
  EXPECT_EQ(fault_text(exec({0x0F, 0x02, 0xC1})), "none");  // lar eax, ecx
  EXPECT_TRUE(st().eflags & flags::ZF);
  EXPECT_EQ(st().gpr[EAX], 0x00C0F200u);                    // G D P DPL=3 S type=2
  EXPECT_EQ(fault_text(exec({0x0F, 0x03, 0xC1})), "none");  // lsl eax, ecx
  EXPECT_EQ(st().gpr[EAX], 0xFFFFFFFFu);
  st().gpr[ECX] = kData0 | 3;  // DPL 0 is invisible from CPL 3: ZF = 0, no fault
  st().gpr[EAX] = 0x55;
  EXPECT_EQ(fault_text(exec({0x0F, 0x02, 0xC1})), "none");
  EXPECT_FALSE(st().eflags & flags::ZF);
  EXPECT_EQ(st().gpr[EAX], 0x55u);
  st().gpr[ECX] = kData3;
  EXPECT_EQ(fault_text(exec({0x0F, 0x00, 0xE9})), "none");  // verw cx
  EXPECT_TRUE(st().eflags & flags::ZF);
  st().gpr[ECX] = kCode3;
  EXPECT_EQ(fault_text(exec({0x0F, 0x00, 0xE9})), "none");  // code is never writable
  EXPECT_FALSE(st().eflags & flags::ZF);
  EXPECT_EQ(fault_text(exec({0x0F, 0x00, 0xE1})), "none");  // verr cx: readable code
  EXPECT_TRUE(st().eflags & flags::ZF);
}

}  // namespace
}  // namespace vmlab::cpu::testing
