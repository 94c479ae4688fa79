// Hardware task switching (task_switch.h; SDM Vol. 3A 7.3 with table 7-1, 7.4; the JMP,
// CALL, INT n and IRET pseudo-code): the old task's state saved in its TSS, the busy flags,
// the link and NT, CR0.TS and CR3, the new task's state loaded, and which task takes a
// fault: the old one before the commit point, the new one after it.
#include "engine/cpu/tests/system_test_support.h"

namespace vmlab::cpu::testing {
namespace {

class TaskSwitchTest : public SystemTest {
 protected:
  static constexpr uint16_t kTss2Sel = kFree;      // available 32-bit TSS, DPL 0
  static constexpr uint16_t kGateSel = kFree + 8;  // task gate DPL 0 -> kTss2Sel
  static constexpr uint32_t kTss2 = 0x14000;
  static constexpr uint32_t kEntry = 0x3000;    // the new task's EIP: a HLT
  static constexpr uint32_t kStack2 = 0x50000;  // the new task's ESP
  static constexpr uint32_t kPd = 0x100000, kPt = 0x101000, kPd2 = 0x102000;

  TaskSwitchTest() {
    set_gdt(kTss2Sel, seg_desc(kTss2, 0x67, sys_type::kTss32Available, 0, false));
    set_gdt(kGateSel, gate_desc(kTss2Sel, 0, sys_type::kTaskGate, 0));
    poke32(kTss2 + 0x1C, kPd2);
    poke32(kTss2 + 0x20, kEntry);
    poke32(kTss2 + 0x24, flags::kReserved1 | flags::IF | flags::CF);
    for (unsigned i = 0; i < 8; ++i) poke32(kTss2 + 0x28 + 4 * i, 0xA0 + i);
    poke32(kTss2 + 0x38, kStack2);
    const uint16_t segs[] = {kData0, kCode0, kData0, kData0, kData0, kData0};
    for (unsigned i = 0; i < 6; ++i) poke32(kTss2 + 0x48 + 4 * i, segs[i]);
    poke32(kTss2 + 0x60, kLdtSel);
    poke(kEntry, {0xF4});
    for (unsigned i = 0; i < 8; ++i) st().gpr[i] = 0x10 + i;
    st().gpr[ESP] = kStack0;
  }

  void poke16(uint32_t addr, uint16_t v) {
    poke(addr, {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)});
  }
  uint8_t type_of(uint16_t sel) const { return static_cast<uint8_t>((gdt(sel) >> 40) & 0xF); }
  // jmp far (EA) or call far (9A) sel:0 at kCodeBase, run for `count` instructions.
  RunEnd run_far(uint8_t op, uint16_t sel, uint64_t count = 1) {
    const auto lo = static_cast<uint8_t>(sel), hi = static_cast<uint8_t>(sel >> 8);
    return run_code({op, 0, 0, 0, 0, lo, hi}, count);
  }

  // Identity paging of the low 4 MiB through two page directories (kPd now, kPd2 for the
  // new task's CR3) sharing one table.
  void paging_on() {
    for (uint32_t i = 0; i < 1024; ++i) poke32(kPt + 4 * i, (i << 12) | 3);
    poke32(kPd, kPt | 3);
    poke32(kPd2, kPt | 3);
    cpu_.write_cr3(kPd);
    cpu_.write_cr0(st().cr0 | cr0::PG);
  }
  void unmap(uint32_t lin) {
    poke32(kPt + ((lin >> 12) & 0x3FF) * 4, 0);
    cpu_.tlb_flush(true);
  }
};

TEST_F(TaskSwitchTest, JumpSavesTheOldTaskAndLoadsTheNewOne) {
  EXPECT_EQ(run_far(0xEA, kTss2Sel), RunEnd::kBudget);
  // The new task: TR, EIP, EFLAGS (NT as its TSS has it: clear), registers, segments, LDTR.
  EXPECT_EQ(st().tr.selector, kTss2Sel);
  EXPECT_EQ(st().tr.base, kTss2);
  EXPECT_EQ(st().tr.type, sys_type::kTss32Busy);
  EXPECT_EQ(st().eip, kEntry);
  EXPECT_EQ(st().eflags, flags::kReserved1 | flags::IF | flags::CF);
  EXPECT_EQ(st().gpr[EAX], 0xA0u);
  EXPECT_EQ(st().gpr[ESP], kStack2);
  EXPECT_EQ(st().gpr[EDI], 0xA7u);
  EXPECT_EQ(st().seg[CS].selector, kCode0);
  EXPECT_EQ(st().seg[SS].selector, kData0);
  EXPECT_TRUE(st().seg[DS].usable);
  EXPECT_EQ(st().ldtr.selector, kLdtSel);
  EXPECT_EQ(st().ldtr.base, kLdt);
  EXPECT_EQ(st().cr0 & cr0::TS, cr0::TS);
  EXPECT_EQ(st().cr3, 0u);  // no PDBR load without paging
  // The old task's TSS: EIP after the JMP, EFLAGS, the registers and the selectors.
  EXPECT_EQ(peek32(kTss + 0x20), kCodeBase + 7);
  EXPECT_EQ(peek32(kTss + 0x24), flags::kReserved1);
  EXPECT_EQ(peek32(kTss + 0x28), 0x10u);
  EXPECT_EQ(peek32(kTss + 0x38), kStack0);
  EXPECT_EQ(peek16(kTss + 0x4C), kCode0);
  EXPECT_EQ(peek16(kTss + 0x50), kData0);
  // A JMP: the old task is no longer busy, the new one is, and there is no link.
  EXPECT_EQ(type_of(kTssSel), sys_type::kTss32Available);
  EXPECT_EQ(type_of(kTss2Sel), sys_type::kTss32Busy);
  EXPECT_EQ(peek16(kTss2), 0u);
}

TEST_F(TaskSwitchTest, CallNestsTheTaskAndIretReturnsToIt) {
  poke(kEntry, {0xB8, 0x55, 0, 0, 0, 0xCF});  // mov eax, 0x55; iret
  EXPECT_EQ(run_far(0x9A, kGateSel), RunEnd::kBudget);
  EXPECT_EQ(st().tr.selector, kTss2Sel);
  EXPECT_EQ(st().eflags & flags::NT, flags::NT);
  EXPECT_EQ(peek16(kTss2), kTssSel);  // the link
  EXPECT_EQ(type_of(kTssSel), sys_type::kTss32Busy);
  EXPECT_EQ(type_of(kTss2Sel), sys_type::kTss32Busy);
  EXPECT_EQ(cpu_.run(2), RunEnd::kBudget);
  // Back in the first task after the CALL, with its registers; the nested task's busy
  // flag cleared and its state saved with NT clear, EIP after the IRET.
  EXPECT_EQ(st().tr.selector, kTssSel);
  EXPECT_EQ(st().eip, kCodeBase + 7);
  EXPECT_EQ(st().gpr[EAX], 0x10u);
  EXPECT_EQ(st().gpr[ESP], kStack0);
  EXPECT_EQ(st().eflags & flags::NT, 0u);
  EXPECT_EQ(type_of(kTss2Sel), sys_type::kTss32Available);
  EXPECT_EQ(type_of(kTssSel), sys_type::kTss32Busy);
  EXPECT_EQ(peek32(kTss2 + 0x20), kEntry + 6);
  EXPECT_EQ(peek32(kTss2 + 0x24) & flags::NT, 0u);
  EXPECT_EQ(peek32(kTss2 + 0x28), 0x55u);
}

TEST_F(TaskSwitchTest, ReenteringABusyTaskIsGpInTheNestedTask) {
  poke(kEntry, {0xEA, 0, 0, 0, 0, kTssSel, 0});  // ljmp to the caller, busy
  EXPECT_EQ(run_far(0x9A, kTss2Sel), RunEnd::kBudget);
  EXPECT_EQ(cpu_.run(10), RunEnd::kHalted);
  EXPECT_EQ(st().eip, halted_in(vec::GP));
  EXPECT_EQ(st().tr.selector, kTss2Sel);
  EXPECT_EQ(peek32(kStack2 - 16), uint32_t{kTssSel});  // the error code
  EXPECT_EQ(peek32(kStack2 - 12), kEntry);             // the ljmp, not run
}

TEST_F(TaskSwitchTest, ASegmentFaultAfterTheCommitPointIsTheNewTasks) {
  poke32(kTss2 + 0x54, 0x1230);  // DS beyond the GDT: #TS(1230h) (table 7-1)
  EXPECT_EQ(run_far(0xEA, kTss2Sel, 2), RunEnd::kHalted);
  EXPECT_EQ(st().eip, halted_in(vec::TS));
  EXPECT_EQ(st().tr.selector, kTss2Sel);
  EXPECT_EQ(type_of(kTssSel), sys_type::kTss32Available);
  EXPECT_EQ(peek32(kStack2 - 16), 0x1230u);
  EXPECT_EQ(peek32(kStack2 - 12), kEntry);  // the frame of the new task
  EXPECT_EQ(peek32(kStack2 - 8), uint32_t{kCode0});
  EXPECT_EQ(peek32(kStack2 - 4), flags::kReserved1 | flags::IF | flags::CF);
  EXPECT_EQ(peek32(kTss + 0x20), kCodeBase + 7);  // the old task was saved
}

TEST_F(TaskSwitchTest, DataSegmentFaultsOfTheNewTaskFollowTable71) {
  // A data segment not present: #NP; execute-only code: #TS; a system descriptor: #TS. Each is
  // delivered on the new task's stack (its SS is loaded before the data segments).
  struct Case {
    uint32_t offset;
    uint16_t sel;
    uint8_t vector;
  };
  for (const Case& c : {Case{0x54, kNotPresent, vec::NP}, Case{0x48, kExecOnly, vec::TS},
                        Case{0x5C, kTssSel, vec::TS}}) {
    SCOPED_TRACE(c.offset);
    set_gdt(kTssSel, seg_desc(kTss, kTssLimit, sys_type::kTss32Busy, 0, false));
    set_gdt(kTss2Sel, seg_desc(kTss2, 0x67, sys_type::kTss32Available, 0, false));
    st().tr = Descriptor{gdt(kTssSel)}.to_cache(kTssSel);
    enter_cpl(0);
    st().halted = false;
    for (uint32_t off : {0x48u, 0x54u, 0x5Cu}) poke32(kTss2 + off, kData0);
    poke32(kTss2 + c.offset, c.sel);
    EXPECT_EQ(run_far(0xEA, kTss2Sel, 2), RunEnd::kHalted);
    EXPECT_EQ(st().eip, halted_in(c.vector));
    EXPECT_EQ(st().tr.selector, kTss2Sel);
    EXPECT_EQ(peek32(kStack2 - 16), uint32_t{c.sel} & 0xFFFC);
    EXPECT_EQ(peek32(kStack2 - 12), kEntry);
  }
}

TEST_F(TaskSwitchTest, AnLdtFaultOfTheNewTaskGoesThroughATaskGateBackToTheOldTask) {
  // The new task's LDT selector names a data segment: #TS(LDT selector) in the new task,
  // whose CS and SS are not loaded yet; #TS is a task gate to the first task, available
  // again after the JMP, which resumes after its JMP with the error code on its stack.
  poke32(kTss2 + 0x60, kData0);
  set_gate(vec::TS, gate_desc(kTssSel, 0, sys_type::kTaskGate, 0));
  EXPECT_EQ(run_code({0xEA, 0, 0, 0, 0, kTss2Sel, 0, 0xF4}, 2), RunEnd::kHalted);
  EXPECT_EQ(st().tr.selector, kTssSel);
  EXPECT_EQ(st().eip, kCodeBase + 8);
  EXPECT_EQ(st().gpr[ESP], kStack0 - 4);
  EXPECT_EQ(peek32(kStack0 - 4), uint32_t{kData0});
  EXPECT_EQ(peek16(kTss), kTss2Sel);  // the link to the task that faulted
  EXPECT_EQ(peek32(kTss2 + 0x20), kEntry);
  EXPECT_EQ(type_of(kTss2Sel), sys_type::kTss32Busy);
}

TEST_F(TaskSwitchTest, AnExceptionThroughATaskGatePushesItsErrorCodeOnTheNewStack) {
  set_gate(vec::GP, gate_desc(kTss2Sel, 0, sys_type::kTaskGate, 0));
  // mov ds, 0x1230: #GP(1230h) through the task gate.
  EXPECT_EQ(run_code({0xB8, 0x30, 0x12, 0, 0, 0x8E, 0xD8}, 3), RunEnd::kHalted);
  EXPECT_EQ(st().tr.selector, kTss2Sel);
  EXPECT_EQ(st().eip, kEntry + 1);
  EXPECT_EQ(st().gpr[ESP], kStack2 - 4);
  EXPECT_EQ(peek32(kStack2 - 4), 0x1230u);
  EXPECT_EQ(st().eflags & flags::NT, flags::NT);
  EXPECT_EQ(peek16(kTss2), kTssSel);
  EXPECT_EQ(peek32(kTss + 0x20), kCodeBase + 5);  // the faulting instruction
  EXPECT_EQ(peek32(kTss + 0x28), 0x1230u);
  // An external interrupt through a task gate pushes nothing.
  set_gate(0x30, gate_desc(kTssSel, 0, sys_type::kTaskGate, 0));
  set_gdt(kTssSel, seg_desc(kTss, kTssLimit, sys_type::kTss32Available, 0, false));
  st().halted = false;
  cpu_.deliver_interrupt(0x30, EventSource::kExternal, false, 0);
  EXPECT_EQ(st().tr.selector, kTssSel);
  EXPECT_EQ(st().eip, kCodeBase + 5);
  EXPECT_EQ(st().gpr[ESP], kStack0);
  EXPECT_EQ(peek16(kTss), kTss2Sel);
}

TEST_F(TaskSwitchTest, PagingLoadsCr3AndAFaultOnATssBeforeTheCommitIsTheOldTasks) {
  paging_on();
  EXPECT_EQ(run_far(0xEA, kTss2Sel), RunEnd::kBudget);
  EXPECT_EQ(st().cr3, kPd2);
  EXPECT_EQ(st().tr.selector, kTss2Sel);
  // Back by JMP to the first TSS, whose CR3 field is 0 as the test built it: 0 would not
  // map the code, so give it kPd.
  poke32(kTss + 0x1C, kPd);
  poke(kEntry, {0xEA, 0, 0, 0, 0, kTssSel, 0});
  EXPECT_EQ(cpu_.run(1), RunEnd::kBudget);
  EXPECT_EQ(st().cr3, kPd);
  EXPECT_EQ(st().eip, kCodeBase + 7);
  // The new TSS on an absent page: #PF in the old task, nothing changed.
  unmap(kTss2);
  const uint64_t before = gdt(kTssSel);
  EXPECT_EQ(run_far(0xEA, kTss2Sel, 2), RunEnd::kHalted);
  EXPECT_EQ(st().eip, halted_in(vec::PF));
  EXPECT_EQ(st().cr2, kTss2 + 0x1C);
  EXPECT_EQ(st().tr.selector, kTssSel);
  EXPECT_EQ(gdt(kTssSel), before);
  EXPECT_EQ(peek32(kStack0 - 12), kCodeBase);  // the JMP's EIP
  // The old TSS's last page absent: the same, before the busy flag is cleared.
  poke32(kPt + (kTss2 >> 12) * 4, kTss2 | 3);
  enter_cpl(0);
  st().halted = false;
  unmap(kTss);
  EXPECT_EQ(run_far(0xEA, kTss2Sel, 2), RunEnd::kHalted);
  EXPECT_EQ(st().eip, halted_in(vec::PF));
  EXPECT_EQ(st().cr2, kTss);
  EXPECT_EQ(st().tr.selector, kTssSel);
  EXPECT_EQ(gdt(kTssSel), before);
}

TEST_F(TaskSwitchTest, ACallToA16BitTaskAndItsIretBack) {
  // A 16-bit TSS (type 1, SDM Vol. 3A 7.6, figure 7-10): word fields, no CR3, FS or GS.
  constexpr uint32_t kTss16 = 0x15000;
  set_gdt(kTss2Sel, seg_desc(kTss16, 0x2B, sys_type::kTss16Available, 0, false));
  poke16(kTss16 + 0x0E, static_cast<uint16_t>(kEntry));  // IP
  poke16(kTss16 + 0x10, flags::kReserved1 | flags::CF);  // FLAGS
  for (unsigned i = 0; i < 8; ++i) poke16(kTss16 + 0x12 + 2 * i, static_cast<uint16_t>(0xB0 + i));
  poke16(kTss16 + 0x1A, 0x4000);  // SP
  const uint16_t segs[] = {kData0, kCode0, kData0, kData0};
  for (unsigned i = 0; i < 4; ++i) poke16(kTss16 + 0x22 + 2 * i, segs[i]);
  poke16(kTss16 + 0x2A, kLdtSel);
  poke(kEntry, {0xB8, 0x55, 0, 0, 0, 0xCF});  // mov eax, 0x55; iret
  paging_on();
  poke32(kTss + 0x1C, kPd);  // the PDBR the IRET back loads (a switch never saves CR3)
  st().eflags |= flags::AC;  // an upper EFLAGS bit, kept by a load from a 16-bit TSS
  EXPECT_EQ(run_far(0x9A, kTss2Sel), RunEnd::kBudget);
  EXPECT_EQ(st().tr.selector, kTss2Sel);
  EXPECT_EQ(st().tr.type, sys_type::kTss16Busy);
  EXPECT_EQ(st().eip, kEntry);
  EXPECT_EQ(st().eflags, flags::kReserved1 | flags::CF | flags::NT | flags::AC);
  EXPECT_EQ(st().gpr[EAX], 0xB0u);  // the words, zero-extended (as QEMU loads them)
  EXPECT_EQ(st().gpr[ESP], 0x4000u);
  EXPECT_EQ(st().gpr[EDI], 0xB7u);
  EXPECT_EQ(st().seg[CS].selector, kCode0);
  EXPECT_EQ(st().seg[FS].selector, 0u);  // null: a 16-bit TSS holds no FS or GS
  EXPECT_FALSE(st().seg[GS].usable);
  EXPECT_EQ(st().ldtr.selector, kLdtSel);
  EXPECT_EQ(st().cr3, kPd);            // no CR3 in a 16-bit TSS: the old task's page tables
  EXPECT_EQ(peek16(kTss16), kTssSel);  // the link
  EXPECT_EQ(type_of(kTss2Sel), sys_type::kTss16Busy);
  // The IRET back (NT): the 16-bit task saved as words, the 32-bit one restored whole.
  EXPECT_EQ(cpu_.run(2), RunEnd::kBudget);
  EXPECT_EQ(st().tr.selector, kTssSel);
  EXPECT_EQ(st().eip, kCodeBase + 7);
  EXPECT_EQ(st().gpr[EAX], 0x10u);
  EXPECT_EQ(peek16(kTss16 + 0x0E), static_cast<uint16_t>(kEntry + 6));  // IP after the IRET
  EXPECT_EQ(peek16(kTss16 + 0x12), 0x55u);                              // AX
  EXPECT_EQ(peek16(kTss16 + 0x10) & flags::NT, 0u);  // NT cleared in the saved FLAGS
  EXPECT_EQ(type_of(kTss2Sel), sys_type::kTss16Available);
}

TEST_F(TaskSwitchTest, AVirtual8086TaskStopsAfterTheChecks) {
  poke32(kTss2 + 0x24, flags::kReserved1 | flags::VM);
  EXPECT_EQ(run_far(0xEA, kTss2Sel), RunEnd::kUnsupported);
  EXPECT_EQ(st().tr.selector, kTssSel);
  EXPECT_EQ(st().eip, kCodeBase);
  EXPECT_EQ(type_of(kTssSel), sys_type::kTss32Busy);
}

TEST_F(TaskSwitchTest, AScratchProcessorStopsAtASwitchThatPassedItsChecks) {
  cpu_.set_task_switching(TaskSwitching::kStopAfterChecks);
  EXPECT_EQ(run_far(0x9A, kTss2Sel), RunEnd::kUnsupported);
  EXPECT_NE(cpu_.stop_message().find("task switching"), std::string::npos);
  EXPECT_EQ(st().tr.selector, kTssSel);
  EXPECT_EQ(type_of(kTss2Sel), sys_type::kTss32Available);
}

}  // namespace
}  // namespace vmlab::cpu::testing
