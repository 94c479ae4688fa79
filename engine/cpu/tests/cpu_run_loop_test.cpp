// The run loop itself: budgets, the decoded-instruction cache and self-modifying code.
#include <cstdint>

#include "engine/cpu/tests/exec_test_util.h"

namespace vmlab::cpu::testing {
namespace {

using RunLoopTest = CpuTest;

TEST_F(RunLoopTest, BudgetStopsAfterExactlyThatManyInstructions) {
  // 0x90 is NOP; the run must retire exactly the budget.
  poke(kCodeBase, {0x90, 0x90, 0x90, 0x90, 0x90});
  EXPECT_EQ(cpu_.run(3), RunEnd::kBudget);
  EXPECT_EQ(cpu_.instructions_retired(), 3u);
  EXPECT_EQ(st().eip, kCodeBase + 3);
}

TEST_F(RunLoopTest, UndefinedOpcodeWithoutIdtStopsCleanly) {
  // 0F 0B is UD2. With no usable IDT the #UD escalates to a triple fault: the
  // processor shuts down, the host does not crash.
  poke(kCodeBase, {0x0F, 0x0B});
  const RunEnd r = cpu_.run(10);
  EXPECT_TRUE(r == RunEnd::kTripleFault || r == RunEnd::kUnsupported);
}

// In 16-bit code IP wraps from 0xFFFF to 0 (SDM Vol. 3A, 5.3: the offset is 16 bits), so
// the instruction after one that ends at CS:0xFFFF is at CS:0, not at the next byte of the
// page the decoded block came from (random guest seed 21112: a handler entered through a
// 16-bit CS with base 0xA0 at EIP 0x100A10 ran on in the handler's bytes instead of
// CS:0x0A13).
using BlockTest = ExecTest;

TEST_F(BlockTest, SixteenBitIpWrapsWithinADecodedBlock) {
  st().seg[CS].db = false;
  st().seg[CS].base = 0x100;
  st().seg[CS].limit = 0xFFFFF;
  poke(0x100 + 0xFFFD, {0xB8, 0x34, 0x12});  // mov ax, 0x1234 (ends at CS:0xFFFF)
  poke(0x100 + 0x10000, {0xB1, 0x55});       // mov cl, 0x55 (the next byte: not run)
  poke(0x100, {0xB3, 0x77});                 // mov bl, 0x77 (at CS:0, run)
  reg(EBX) = 0;
  reg(ECX) = 0;
  st().eip = 0xFFFD;
  EXPECT_EQ(cpu_.run(2), RunEnd::kBudget);
  EXPECT_EQ(reg(EAX) & 0xFFFF, 0x1234u);
  EXPECT_EQ(reg(EBX), 0x77u);
  EXPECT_EQ(reg(ECX), 0u);
  EXPECT_EQ(st().eip, 2u);
}

// The budget's units (issue 12): each REP iteration and each delivered exception counts,
// so that a budget bounds modeled work even when nothing retires.
using BudgetTest = ExecTest;

TEST_F(BudgetTest, RepIterationsAreUnitsAndADispatchStopsAtTheBudget) {
  reg(EDI) = 0x100000;
  reg(ECX) = 10000;
  poke(kCodeBase, {0xF3, 0xAA});  // REP STOSB
  st().eip = kCodeBase;
  EXPECT_EQ(cpu_.run(UINT64_MAX, 3000), RunEnd::kBudget);
  EXPECT_EQ(cpu_.budget_units(), 3000u);
  EXPECT_EQ(reg(ECX), 7000u);
  EXPECT_EQ(st().eip, kCodeBase);  // not finished: dispatched again
  EXPECT_EQ(cpu_.run(UINT64_MAX, 7000), RunEnd::kBudget);
  EXPECT_EQ(cpu_.budget_units(), 10000u);
  EXPECT_EQ(reg(ECX), 0u);
  EXPECT_EQ(st().eip, kCodeBase + 2);
  EXPECT_EQ(cpu_.instructions_retired(), 3u);  // dispatches of 3000, 4096 and 2904
}

TEST_F(BudgetTest, AStormOfDeliveredExceptionsUsesTheBudget) {
  // Every #UD goes to a handler that is UD2 again: nothing ever retires. Before the
  // budget counted deliveries, this call never returned.
  install_idt();
  poke(handler(vec::UD), {0x0F, 0x0B});
  reg(ESP) = 0x90000;
  poke(kCodeBase, {0x0F, 0x0B});
  st().eip = kCodeBase;
  EXPECT_EQ(cpu_.run(UINT64_MAX, 1000), RunEnd::kBudget);
  EXPECT_EQ(cpu_.instructions_retired(), 0u);
  EXPECT_EQ(cpu_.budget_units(), 1000u);
  EXPECT_EQ(reg(ESP), 0x90000u - 1000 * 12);  // 1000 frames of EFLAGS, CS, EIP
  EXPECT_EQ(st().eip, handler(vec::UD));
}

TEST_F(BudgetTest, AStormWithoutABudgetStopsOnTheNoProgressGuard) {
  install_idt();
  poke(handler(vec::UD), {0x0F, 0x0B});
  // A flat stack high above RAM: the 12 MB of frames go nowhere.
  st().seg[SS].limit = 0xFFFFFFFFu;
  st().seg[SS].db = true;
  reg(ESP) = 0xFFFFF000u;
  poke(kCodeBase, {0x0F, 0x0B});
  st().eip = kCodeBase;
  EXPECT_EQ(cpu_.run(UINT64_MAX), RunEnd::kUnsupported);
  EXPECT_EQ(cpu_.stop_message(),
            "more than 1000000 exceptions, interrupts and monitor entries without a guest "
            "instruction retiring (last vector 6)");
  EXPECT_EQ(cpu_.budget_units(), 1000001u);
  EXPECT_EQ(cpu_.instructions_retired(), 0u);
}

TEST_F(BudgetTest, AnInstructionRetiringResetsTheGuard) {
  // A #UD handler that retires one instruction (NOP) before its UD2: a storm too, but one
  // that makes progress, so only the budget ends it.
  install_idt();
  poke(handler(vec::UD), {0x90, 0x0F, 0x0B});
  st().seg[SS].limit = 0xFFFFFFFFu;
  st().seg[SS].db = true;
  reg(ESP) = 0xFFFFF000u;
  poke(kCodeBase, {0x0F, 0x0B});
  st().eip = kCodeBase;
  EXPECT_EQ(cpu_.run(UINT64_MAX, 2'500'001), RunEnd::kBudget);
  EXPECT_EQ(cpu_.instructions_retired(), 1'250'000u);
}

TEST_F(BudgetTest, AnExceptionFrameMayWrapAroundTheFlatStack) {
  // Found by tests/robustness/differential.py (seed 3): with ESP = 8 on a flat 4 GiB stack,
  // the #UD frame's three pushes land at 4, 0 and 0xFFFFFFFC, each inside the limit, as
  // the hardware and QEMU deliver it. The model checked the frame as one range that ran
  // past 4 GiB and raised #SS (a triple fault here), where the monitors delivered it.
  install_idt();
  st().seg[SS].limit = 0xFFFFFFFFu;
  st().seg[SS].db = true;
  reg(ESP) = 8;
  const uint32_t eflags = st().eflags;
  poke(kCodeBase, {0x0F, 0x0B});
  st().eip = kCodeBase;
  EXPECT_EQ(cpu_.run(1), RunEnd::kBudget);
  EXPECT_EQ(st().eip, handler(vec::UD));
  EXPECT_EQ(reg(ESP), 0xFFFFFFFCu);
  EXPECT_EQ(peek32(4), eflags);
  EXPECT_EQ(peek32(0), 0x08u);
}

TEST_F(BudgetTest, AnUnalignedFrameWrapsAtFourGigabytesWithoutStackFault) {
  // Seeds 19, 21, 22: ESP = 2 puts a push across 4 GiB. With a 4 GiB limit that may or
  // may not fault (SDM Vol. 3A, 5.3); QEMU does not check, and the monitors did not: the
  // model now wraps too, instead of a triple fault.
  install_idt();
  st().seg[SS].limit = 0xFFFFFFFFu;
  st().seg[SS].db = true;
  reg(ESP) = 2;
  st().eflags |= flags::AC;  // bit 18: EFLAGS's high half is not zero
  const uint32_t eflags = st().eflags;
  poke(kCodeBase, {0x0F, 0x0B});
  st().eip = kCodeBase;
  EXPECT_EQ(cpu_.run(1), RunEnd::kBudget);
  EXPECT_EQ(st().eip, handler(vec::UD));
  EXPECT_EQ(reg(ESP), 0xFFFFFFF6u);
  EXPECT_EQ(peek16(0), eflags >> 16);  // EFLAGS at 0xFFFFFFFE: its high half wrapped to 0
}

}  // namespace
}  // namespace vmlab::cpu::testing
