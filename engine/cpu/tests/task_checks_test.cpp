// The checks before a task switch (task_checks.h; SDM Vol. 3A 7.3 and table 7-1, the JMP,
// CALL, INT n and IRET pseudo-code): an unprivileged program that reaches for a TSS, a
// task gate or a nested-task return gets its #GP, #NP or #TS before anything changes; a
// switch that passes every check is task_switch_test.cpp's (issue 12, item 5).
#include "engine/cpu/tests/system_test_support.h"

namespace vmlab::cpu::testing {
namespace {

class TaskCheckTest : public SystemTest {
 protected:
  static constexpr uint16_t kAvailTss = kFree;         // available 32-bit TSS, DPL 3
  static constexpr uint16_t kTaskGateSel = kFree + 8;  // task gate DPL 3 -> kAvailTss
  static constexpr uint32_t kOtherTss = 0x14000;

  TaskCheckTest() {
    set_gdt(kAvailTss, seg_desc(kOtherTss, 0x67, sys_type::kTss32Available, 3, false));
    set_gdt(kTaskGateSel, gate_desc(kAvailTss, 0, sys_type::kTaskGate, 3));
  }

  // jmp far sel:0 and call far sel:0.
  std::optional<CpuFault> jmp(uint16_t sel) {
    return exec({0xEA, 0, 0, 0, 0, static_cast<uint8_t>(sel), static_cast<uint8_t>(sel >> 8)});
  }
  std::optional<CpuFault> call(uint16_t sel) {
    return exec({0x9A, 0, 0, 0, 0, static_cast<uint8_t>(sel), static_cast<uint8_t>(sel >> 8)});
  }
};

TEST_F(TaskCheckTest, Ring3JumpOrCallToTheKernelTssIsGpTssSelector) {
  // The defect of issue 12: the TSS of the running task (DPL 0, busy) from ring 3.
  enter_cpl(3);
  const CpuState before = st();
  EXPECT_EQ(fault_text(jmp(kTssSel | 3)), fault_text(vec::GP, kTssSel));
  EXPECT_EQ(fault_text(call(kTssSel)), fault_text(vec::GP, kTssSel));
  EXPECT_EQ(st().cpl, 3);
  EXPECT_EQ(st().gpr[ESP], before.gpr[ESP]);  // CALL pushed nothing
  EXPECT_EQ(st().seg[CS].selector, before.seg[CS].selector);
  EXPECT_EQ(st().tr.selector, kTssSel);
}

TEST_F(TaskCheckTest, Ring1CallToTheMonitorsTssIsGp) {
  // A deprivileged kernel (PV, classic trap-and-emulate) at CPL 1 naming the monitor's
  // TSS (DPL 0, busy): #GP(TSS selector), CPL and stack unchanged.
  enter_cpl(1);
  EXPECT_EQ(fault_text(call(kTssSel | 1)), fault_text(vec::GP, kTssSel));
  EXPECT_EQ(fault_text(jmp(kTssSel)), fault_text(vec::GP, kTssSel));
  EXPECT_EQ(st().cpl, 1);
  EXPECT_EQ(st().gpr[ESP], kStack1);
}

TEST_F(TaskCheckTest, TssDescriptorChecksInPseudoCodeOrder) {
  // Ring 0 may name its own TSS, but it is busy: #GP(TSS selector).
  EXPECT_EQ(fault_text(jmp(kTssSel)), fault_text(vec::GP, kTssSel));
  // RPL above the DPL: #GP.
  set_gdt(kAvailTss, seg_desc(kOtherTss, 0x67, sys_type::kTss32Available, 2, false));
  EXPECT_EQ(fault_text(jmp(kAvailTss | 3)), fault_text(vec::GP, kAvailTss));
  // A TSS selector with TI set names the LDT: #GP (7.2.2).
  write64(kLdt + 16, seg_desc(kOtherTss, 0x67, sys_type::kTss32Available, 3, false));
  EXPECT_EQ(fault_text(call(0x14)), fault_text(vec::GP, 0x14));
  // Not present: #NP(TSS selector), after the privilege check.
  set_gdt(kAvailTss, seg_desc(kOtherTss, 0x67, sys_type::kTss32Available, 0, false, false));
  EXPECT_EQ(fault_text(call(kAvailTss)), fault_text(vec::NP, kAvailTss));
  // A limit below 67H: #TS(TSS selector) (table 7-1); a 16-bit TSS needs 2BH.
  set_gdt(kAvailTss, seg_desc(kOtherTss, 0x66, sys_type::kTss32Available, 0, false));
  EXPECT_EQ(fault_text(jmp(kAvailTss)), fault_text(vec::TS, kAvailTss));
  set_gdt(kAvailTss, seg_desc(kOtherTss, 0x2A, sys_type::kTss16Available, 0, false));
  EXPECT_EQ(fault_text(jmp(kAvailTss)), fault_text(vec::TS, kAvailTss));
  EXPECT_EQ(st().tr.selector, kTssSel);
}

TEST_F(TaskCheckTest, TaskGateChecksInPseudoCodeOrder) {
  enter_cpl(3);
  // Gate DPL 0 from ring 3: #GP(gate selector).
  set_gdt(kTaskGateSel, gate_desc(kAvailTss, 0, sys_type::kTaskGate, 0));
  EXPECT_EQ(fault_text(jmp(kTaskGateSel | 3)), fault_text(vec::GP, kTaskGateSel));
  // Gate not present: #NP(gate selector).
  set_gdt(kTaskGateSel, gate_desc(kAvailTss, 0, sys_type::kTaskGate, 3, false));
  EXPECT_EQ(fault_text(call(kTaskGateSel | 3)), fault_text(vec::NP, kTaskGateSel));
  // A gate to the busy kernel TSS: #GP(TSS selector).
  set_gdt(kTaskGateSel, gate_desc(kTssSel, 0, sys_type::kTaskGate, 3));
  EXPECT_EQ(fault_text(jmp(kTaskGateSel | 3)), fault_text(vec::GP, kTssSel));
  // A gate to a data segment, to an LDT selector, beyond the GDT: #GP(that selector).
  set_gdt(kTaskGateSel, gate_desc(kData3, 0, sys_type::kTaskGate, 3));
  EXPECT_EQ(fault_text(jmp(kTaskGateSel | 3)), fault_text(vec::GP, kData3 & 0xFFFC));
  set_gdt(kTaskGateSel, gate_desc(0x0C, 0, sys_type::kTaskGate, 3));
  EXPECT_EQ(fault_text(jmp(kTaskGateSel | 3)), fault_text(vec::GP, 0x0C));
  set_gdt(kTaskGateSel, gate_desc(0x100, 0, sys_type::kTaskGate, 3));
  EXPECT_EQ(fault_text(call(kTaskGateSel | 3)), fault_text(vec::GP, 0x100));
  // A not-present TSS: #NP(TSS selector).
  set_gdt(kTaskGateSel, gate_desc(kAvailTss, 0, sys_type::kTaskGate, 3));
  set_gdt(kAvailTss, seg_desc(kOtherTss, 0x67, sys_type::kTss32Available, 0, false, false));
  EXPECT_EQ(fault_text(call(kTaskGateSel | 3)), fault_text(vec::NP, kAvailTss));
  EXPECT_EQ(st().cpl, 3);
  EXPECT_EQ(st().gpr[ESP], kStack3);
}

TEST_F(TaskCheckTest, IretWithNtChecksThePreviousTaskLink) {
  // Ring 3 can set NT with POPF; the kernel TSS's link field is 0: #TS(0), nothing popped.
  enter_cpl(3);
  st().eflags = flags::kReserved1 | flags::NT;
  st().gpr[ESP] = kStack3 - 12;
  EXPECT_EQ(fault_text(exec({0xCF})), fault_text(vec::TS, 0));
  EXPECT_EQ(st().gpr[ESP], kStack3 - 12);
  // A link to an available TSS: it must be busy, #TS(link).
  poke32(kTss, kAvailTss);
  EXPECT_EQ(fault_text(exec({0xCF})), fault_text(vec::TS, kAvailTss));
  // A link with TI set: #TS(link).
  poke32(kTss, 0x14);
  EXPECT_EQ(fault_text(exec({0xCF})), fault_text(vec::TS, 0x14));
  // A busy TSS that is not present: #NP(link).
  set_gdt(kAvailTss, seg_desc(kOtherTss, 0x67, sys_type::kTss32Busy, 0, false, false));
  poke32(kTss, kAvailTss);
  EXPECT_EQ(fault_text(exec({0xCF})), fault_text(vec::NP, kAvailTss));
  // Present and busy: every check passed; a scratch processor stops there (the switch
  // itself: task_switch_test.cpp).
  set_gdt(kAvailTss, seg_desc(kOtherTss, 0x67, sys_type::kTss32Busy, 0, false));
  enter_cpl(3);
  cpu_.set_task_switching(TaskSwitching::kStopAfterChecks);
  EXPECT_EQ(run_code({0xCF}, 1), RunEnd::kUnsupported);
}

}  // namespace
}  // namespace vmlab::cpu::testing
