// A task switch in guest mode (SDM Vol. 3C 25.4.2, 27.2.1 table 27-2): a VM exit with
// reason 9, the new TSS's selector and the source in the qualification, the instruction's
// length for JMP, CALL and IRET and the event as IDT-vectoring information for a task gate,
// nothing of the switch done; then the monitor's own call performs it on the guest's state
// (TaskSwitching::kMonitorPerforms), or keeps the new CR3 for its shadow MMU
// (kMonitorKeepsCr3).
#include <vector>

#include "engine/cpu/tests/system_test_support.h"

namespace vmlab::cpu::testing {
namespace {

// Records each exit and stops the run there (the guest stays at the instruction).
class ExitRecorder : public VmxMonitor {
 public:
  explicit ExitRecorder(Cpu& cpu) : cpu_(cpu) {}
  void on_vm_exit(const VmExit& exit) override {
    exits.push_back(exit);
    cpu_.request_stop();
  }
  std::vector<VmExit> exits;

 private:
  Cpu& cpu_;
};

class TaskSwitchExitTest : public SystemTest {
 protected:
  static constexpr uint16_t kTss2Sel = kFree;      // available 32-bit TSS, DPL 0
  static constexpr uint16_t kGateSel = kFree + 8;  // task gate DPL 0 -> kTss2Sel
  static constexpr uint32_t kTss2 = 0x14000;
  static constexpr uint32_t kEntry = 0x3000;

  TaskSwitchExitTest() : monitor_(cpu_) {
    set_gdt(kTss2Sel, seg_desc(kTss2, 0x67, sys_type::kTss32Available, 0, false));
    set_gdt(kGateSel, gate_desc(kTss2Sel, 0, sys_type::kTaskGate, 0));
    poke32(kTss2 + 0x1C, 0x5000);
    poke32(kTss2 + 0x20, kEntry);
    poke32(kTss2 + 0x24, flags::kReserved1);
    poke32(kTss2 + 0x38, 0x50000);
    const uint16_t segs[] = {kData0, kCode0, kData0, kData0, kData0, kData0};
    for (unsigned i = 0; i < 6; ++i) poke32(kTss2 + 0x48 + 4 * i, segs[i]);
    poke(kEntry, {0xF4});
    cpu_.set_vmx_monitor(&monitor_);
    cpu_.enter_guest_mode();
  }
  uint8_t type_of(uint16_t sel) const { return static_cast<uint8_t>((gdt(sel) >> 40) & 0xF); }
  ExitRecorder monitor_;
};

TEST_F(TaskSwitchExitTest, FarJumpCallAndIretExitWithSelectorSourceAndLength) {
  // call far kGateSel:0 (a task gate): the qualification names the TSS, source 0 (CALL).
  run_code({0x9A, 0, 0, 0, 0, kGateSel, 0}, 1);
  ASSERT_EQ(monitor_.exits.size(), 1u);
  EXPECT_EQ(monitor_.exits[0].reason, vmx::ExitReason::kTaskSwitch);
  EXPECT_EQ(monitor_.exits[0].qualification, uint32_t{kTss2Sel});
  EXPECT_EQ(monitor_.exits[0].instruction_length, 7u);
  EXPECT_EQ(monitor_.exits[0].guest_eip, kCodeBase);
  EXPECT_EQ(st().tr.selector, kTssSel);  // nothing switched
  EXPECT_EQ(type_of(kTss2Sel), sys_type::kTss32Available);
  EXPECT_EQ(peek32(kTss + 0x20), 0u);
  // jmp far: source 2.
  run_code({0xEA, 0, 0, 0, 0, kTss2Sel, 0}, 1);
  ASSERT_EQ(monitor_.exits.size(), 2u);
  EXPECT_EQ(monitor_.exits[1].qualification, kTss2Sel | 2u << 30);
  // IRET with NT to a busy link: source 1, length 1.
  set_gdt(kTss2Sel, seg_desc(kTss2, 0x67, sys_type::kTss32Busy, 0, false));
  poke32(kTss, kTss2Sel);
  st().eflags |= flags::NT;
  run_code({0xCF}, 1);
  ASSERT_EQ(monitor_.exits.size(), 3u);
  EXPECT_EQ(monitor_.exits[2].qualification, kTss2Sel | 1u << 30);
  EXPECT_EQ(monitor_.exits[2].instruction_length, 1u);
}

TEST_F(TaskSwitchExitTest, AnIntThroughATaskGateExitsWithTheEventAsVectoring) {
  set_gate(0x30, gate_desc(kTss2Sel, 0, sys_type::kTaskGate, 0));
  run_code({0xCD, 0x30}, 1);
  ASSERT_EQ(monitor_.exits.size(), 1u);
  const VmExit& x = monitor_.exits[0];
  EXPECT_EQ(x.qualification, kTss2Sel | 3u << 30);
  EXPECT_TRUE(x.idt_vectoring.valid);
  EXPECT_EQ(x.idt_vectoring.vector, 0x30u);
  EXPECT_EQ(x.idt_vectoring.type, vmx::InterruptionType::kSoftwareInterrupt);
  EXPECT_EQ(x.instruction_length, 2u);
  EXPECT_EQ(st().eip, kCodeBase);
  EXPECT_EQ(st().tr.selector, kTssSel);
}

TEST_F(TaskSwitchExitTest, TheMonitorsCallPerformsItOrKeepsTheCr3) {
  const TaskTarget target{kTss2Sel, Descriptor{gdt(kTss2Sel)}};
  cpu_.set_task_switching(TaskSwitching::kMonitorKeepsCr3);
  st().eip = kCodeBase + 7;
  cpu_.switch_task(target, TaskSource::kJmp);
  EXPECT_TRUE(monitor_.exits.empty());
  EXPECT_TRUE(cpu_.task_switch_committed());
  EXPECT_EQ(cpu_.task_switch_cr3(), std::optional<uint32_t>{0x5000});
  EXPECT_EQ(st().tr.selector, kTss2Sel);
  EXPECT_EQ(st().eip, kEntry);
  EXPECT_EQ(st().cr3, 0u);
  EXPECT_EQ(peek32(kTss + 0x20), kCodeBase + 7);
  EXPECT_EQ(type_of(kTssSel), sys_type::kTss32Available);
  // Back by the same path with kMonitorPerforms: no CR3 kept.
  cpu_.set_task_switching(TaskSwitching::kMonitorPerforms);
  cpu_.switch_task({kTssSel, Descriptor{gdt(kTssSel)}}, TaskSource::kJmp);
  EXPECT_EQ(st().tr.selector, kTssSel);
  EXPECT_EQ(st().eip, kCodeBase + 7);
  EXPECT_FALSE(cpu_.task_switch_cr3().has_value());
}

}  // namespace
}  // namespace vmlab::cpu::testing
