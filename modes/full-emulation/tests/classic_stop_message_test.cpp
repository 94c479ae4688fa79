// The stop message of a classic-CPU guest that stops making progress or fails (a shutdown,
// a non-zero exit status) names the Popek-Goldberg hole and the last sensitive
// instructions that ran without a trap.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/vmm/core/vm.h"
#include "modes/full-emulation/trap_mode.h"

namespace vmlab::modes {
namespace {

machine::RunResult run_classic(const std::vector<uint8_t>& code, uint32_t memory_mib = 4) {
  vmm::VmConfig config;
  config.machine.memory_mib = memory_mib;
  auto mode = std::make_unique<TrapMode>();
  TrapMode* trap = mode.get();
  config.mode = std::move(mode);
  auto vm = vmm::Vm::create(std::move(config));
  EXPECT_TRUE(vm.ok());
  auto monitor = trap->attach(*vm.value());
  EXPECT_TRUE(monitor.ok());
  for (size_t i = 0; i < code.size(); ++i) {
    monitor.value()->memory().write_phys8(0x1000 + static_cast<uint32_t>(i), code[i]);
  }
  monitor.value()->start(0x1000, 0, 0);
  return vm.value()->run();
}

// A kernel that checks its own CLI: it reads EFLAGS back and panics (halts with its
// interrupts off) when IF is still set. On a classic CPU PUSHF in ring 1 shows the real
// IF, which the monitor keeps at 1.
const std::vector<uint8_t> kPanicsOnIf = {
    0xBC, 0x00, 0x80, 0x00, 0x00,              // 1000: mov esp, 0x8000
    0x0F, 0x01, 0x0D, 0x00, 0x50, 0x00, 0x00,  // 1005: sidt [0x5000]
    0xFA,                                      // 100C: cli
    0x9C,                                      // 100D: pushf
    0x58,                                      // 100E: pop eax
    0xF6, 0xC4, 0x02,                          // 100F: test ah, 2 (IF)
    0x74, 0x01,                                // 1012: jz 1015
    0xF4,                                      // 1014: hlt ("interrupts still on": panic)
    0xB0, 0x00, 0xE6, 0xF4,                    // 1015: exit 0
};

TEST(ClassicStopMessage, AHaltAfterPushfNamesThePopekGoldbergHoleAndTheLastSensitiveInsns) {
  const auto r = run_classic(kPanicsOnIf);
  ASSERT_EQ(r.reason, machine::StopReason::kHaltedInterruptsDisabled) << r.message;
  EXPECT_EQ(r.message,
            "halted with interrupts disabled at EIP 0x00001015; the guest ran 2 sensitive "
            "instructions that did not trap (the Popek-Goldberg hole: deprivileged, they "
            "behaved differently than where the guest believes it runs, showing the real "
            "flags and tables, not its own), the last: sidt at EIP 0x00001005 in ring 1, "
            "pushf at EIP 0x0000100D in ring 1 (the VT CPU and binary translation virtualize "
            "them)");
}

TEST(ClassicStopMessage, AHaltWithoutSensitiveInsnsKeepsThePlainMessage) {
  const auto r = run_classic({0xFA, 0xF4});  // cli; hlt
  ASSERT_EQ(r.reason, machine::StopReason::kHaltedInterruptsDisabled) << r.message;
  EXPECT_EQ(r.message, "halted with interrupts disabled at EIP 0x00001002");
}

TEST(ClassicStopMessage, AnIdleGuestWithNothingToWakeItGetsTheNoteToo) {
  // mov esp, 0x8000; smsw eax; mov al, 0xFF; out 0x21, al (every IRQ masked); sti; hlt:
  // interrupts on, but nothing can raise one.
  const auto r = run_classic(
      {0xBC, 0x00, 0x80, 0x00, 0x00, 0x0F, 0x01, 0xE0, 0xB0, 0xFF, 0xE6, 0x21, 0xFB, 0xF4});
  ASSERT_EQ(r.reason, machine::StopReason::kHaltedNothingToWake) << r.message;
  EXPECT_NE(r.message.find("ran 1 sensitive instruction that did not trap"), std::string::npos)
      << r.message;
  EXPECT_NE(r.message.find("the last: smsw at EIP 0x00001005 in ring 1 (the VT CPU"),
            std::string::npos)
      << r.message;
}

TEST(ClassicStopMessage, AGuestThatExitsWithAFailureStatusGetsTheNote) {
  // mov esp, 0x8000; pushf; exit 0xFF (a guest kernel's panic: the guest OS under
  // --cpu-mhz 5 double-faults after its PUSHF read IF = 1 and its restore ran STI early).
  const auto r = run_classic({0xBC, 0x00, 0x80, 0x00, 0x00, 0x9C, 0xB0, 0xFF, 0xE6, 0xF4});
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_NE(r.message.find("ran 1 sensitive instruction that did not trap"), std::string::npos)
      << r.message;
  EXPECT_NE(r.message.find("the last: pushf at EIP 0x00001005 in ring 1 (the VT CPU"),
            std::string::npos)
      << r.message;
}

TEST(ClassicStopMessage, AnExceptionStormStoppedByTheNoProgressGuardGetsTheNote) {
  // A GDT and an IDT whose exception handlers are UD2 itself: after PUSHF every #UD
  // delivered faults again before an instruction retires, until the no-progress guard ends
  // the run. The stack has room for the million frames (12 MB) below 31 MiB, far above the
  // tables.
  std::vector<uint8_t> code(0x1100, 0);
  const auto put = [&](uint32_t at, std::vector<uint8_t> bytes) {
    for (size_t i = 0; i < bytes.size(); ++i) code[at - 0x1000 + i] = bytes[i];
  };
  put(0x1000, {
                  0xBC, 0x00, 0x80, 0x00, 0x00,              // 1000: mov esp, 0x8000
                  0x0F, 0x01, 0x15, 0x10, 0x1F, 0x00, 0x00,  // 1005: lgdt [0x1F10]
                  0x0F, 0x01, 0x1D, 0x00, 0x1F, 0x00, 0x00,  // 100C: lidt [0x1F00]
                  0x9C,                                      // 1013: pushf
                  0x58,                                      // 1014: pop eax
                  0xBC, 0x00, 0x00, 0xF0, 0x01,              // 1015: mov esp, 0x01F00000
                  0x0F, 0x0B,                                // 101A: ud2
              });
  put(0x1100, {0x0F, 0x0B});                                      // every handler: ud2
  put(0x1E08, {0xFF, 0xFF, 0x00, 0x00, 0x00, 0x9A, 0xCF, 0x00});  // 0x08: flat code
  put(0x1E10, {0xFF, 0xFF, 0x00, 0x00, 0x00, 0x92, 0xCF, 0x00});  // 0x10: flat data
  put(0x1F00, {0xFF, 0x00, 0x00, 0x20, 0x00, 0x00});              // IDTR: 32 gates at 0x2000
  put(0x1F10, {0x17, 0x00, 0x00, 0x1E, 0x00, 0x00});              // GDTR: 3 entries at 0x1E00
  for (uint32_t v = 0; v < 32; ++v) {  // every exception: 0x08:0x1100, an interrupt gate
    put(0x2000 + v * 8, {0x00, 0x11, 0x08, 0x00, 0x00, 0x8E, 0x00, 0x00});
  }
  const auto r = run_classic(code, 32);
  ASSERT_EQ(r.reason, machine::StopReason::kUnsupported) << r.message;
  EXPECT_NE(r.message.find("without a guest instruction retiring"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("the last: pushf at EIP 0x00001013 in ring 1 (the VT CPU"),
            std::string::npos)
      << r.message;
}

TEST(ClassicStopMessage, AGuestThatExitsGetsNoNoteWhateverItRan) {
  // mov esp, 0x8000; pushf; pushf; exit 0
  const auto r = run_classic({0xBC, 0x00, 0x80, 0x00, 0x00, 0x9C, 0x9C, 0xB0, 0x00, 0xE6, 0xF4});
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(r.message.find("Popek"), std::string::npos) << r.message;
}

}  // namespace
}  // namespace vmlab::modes
