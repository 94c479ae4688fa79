// The run loop itself: budgets, the decoded-instruction cache and self-modifying code.
#include "engine/cpu/tests/cpu_test_support.h"

namespace vmlab::cpu::testing {
namespace {

using RunLoopTest = CpuTest;

TEST_F(RunLoopTest, BudgetStopsAfterExactlyThatManyInstructions) {
  // 0x90 is NOP; the run must retire exactly the budget.
  poke(kCodeBase, {0x90, 0x90, 0x90, 0x90, 0x90});
  EXPECT_EQ(cpu_.run(3), StopReason::kBudget);
  EXPECT_EQ(cpu_.instructions_retired(), 3u);
  EXPECT_EQ(st().eip, kCodeBase + 3);
}

TEST_F(RunLoopTest, UndefinedOpcodeWithoutIdtStopsCleanly) {
  // 0F 0B is UD2. With no usable IDT the #UD escalates to a triple fault: the
  // processor shuts down, the host does not crash.
  poke(kCodeBase, {0x0F, 0x0B});
  const StopReason r = cpu_.run(10);
  EXPECT_TRUE(r == StopReason::kTripleFault || r == StopReason::kUnsupported);
}

}  // namespace
}  // namespace vmlab::cpu::testing
