// A guest kernel's ring-0 stack in the hypervisor hole never reaches the monitor's pages
// (issue 12: the far-transfer leftovers).
//
// The hole_stack test kernel (tests/kernels/hole_stack) maps pages of its own at the
// linear addresses of the monitor's IDT (0xFC011000) and TSS (0xFC010000), points its
// TSS's SS0:ESP0 into them and enters ring 0 from ring 3 by INT 0x80 and by a call gate;
// each handler reads its frame and returns (IRET, RET 4) from that stack. Under ring
// compression (trap on the classic CPU, bt) the event injector writes the interrupt's
// frame, the gate emulation the call's (emulate_call_gate.cpp), through the guest's page
// tables, and the processor's returns pop the guest's own bytes (return_frame_beyond_cut).
// The run prints native's console, and the monitor's IDT page and TSS page (but for the
// ring-1 stack it keeps equal to the guest's ring-0 stack) are byte for byte what they were
// before the guest entered ring 3: no frame word (the gate's parameter 0x5A5A0001, the user
// code and stack selectors) is in them.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "engine/vmm/core/hypervisor_hole.h"
#include "engine/vmm/core/vm.h"
#include "modes/binary-translation/bt_mode.h"
#include "modes/full-emulation/trap_mode.h"

namespace vmlab::modes {
namespace {

// The real processor's mapping of a hole page (the monitor's).
std::vector<uint8_t> real_page(cpu::Cpu& cpu, uint32_t linear) {
  std::vector<uint8_t> bytes(4096);
  const uint32_t pde = cpu.phys_read32((cpu.state().cr3 & ~0xFFFu) + (linear >> 22) * 4);
  if (!(pde & 1)) return bytes;
  const uint32_t pte = cpu.phys_read32((pde & ~0xFFFu) + ((linear >> 12) & 0x3FFu) * 4);
  if (!(pte & 1)) return bytes;
  for (uint32_t i = 0; i < 4096; ++i) bytes[i] = cpu.phys_read8((pte & ~0xFFFu) + i);
  return bytes;
}

std::vector<uint8_t> tss_page(cpu::Cpu& cpu) {
  std::vector<uint8_t> p = real_page(cpu, vmm::hole::kMonitorTss);
  for (uint32_t i = 12; i < 20; ++i) p[i] = 0;  // SS1:ESP1, the guest's SS0:ESP0
  return p;
}

bool holds(const std::vector<uint8_t>& page, uint32_t word) {
  for (size_t i = 0; i + 4 <= page.size(); i += 4) {
    const uint32_t w = uint32_t{page[i]} | uint32_t{page[i + 1]} << 8 |
                       uint32_t{page[i + 2]} << 16 | uint32_t{page[i + 3]} << 24;
    if (w == word) return true;
  }
  return false;
}

struct Outcome {
  machine::StopReason reason{};
  std::string message, console;
  std::vector<uint8_t> idt_before, idt_after, tss_before, tss_after;
};

enum class Where { kNative, kClassic, kBt };

Outcome run(Where where) {
  vmm::VmConfig config;
  config.machine.memory_mib = 16;
  config.machine.max_instructions = 2000000;
  if (where == Where::kClassic) config.mode = std::make_unique<TrapMode>();
  if (where == Where::kBt) config.mode = std::make_unique<bt::BtMode>();
  auto created = vmm::Vm::create(std::move(config));
  EXPECT_TRUE(created.ok());
  Outcome o;
  if (!created.ok()) return o;
  vmm::Vm& vm = *created.value();
  const auto loaded = vm.load_kernel(VMLAB_HOLE_STACK_KERNEL);
  EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().message);
  cpu::Cpu& cpu = vm.machine().cpu();
  // Up to the kernel's first console line: its tables are loaded and paging is on, ring 3
  // is not entered yet.
  while (vm.machine().console_output().find('\n') == std::string::npos) {
    if (vm.run_for(100) != vmm::VmState::kPaused) break;
  }
  if (where != Where::kNative) {
    o.idt_before = real_page(cpu, vmm::hole::kMonitorIdt);
    o.tss_before = tss_page(cpu);
  }
  const auto r = vm.run();
  o.reason = r.reason;
  o.message = r.message;
  o.console = vm.machine().console_output();
  if (where != Where::kNative) {
    o.idt_after = real_page(cpu, vmm::hole::kMonitorIdt);
    o.tss_after = tss_page(cpu);
  }
  return o;
}

TEST(HoleStackHostile, RingZeroStacksInTheHoleLeaveTheMonitorsPagesUnchanged) {
  const Outcome native = run(Where::kNative);
  ASSERT_EQ(native.reason, machine::StopReason::kExitPort) << native.message;
  ASSERT_NE(native.console.find("hole_stack: done"), std::string::npos) << native.console;
  ASSERT_NE(native.console.find("0x5a5a0001"), std::string::npos) << native.console;
  for (const Where where : {Where::kClassic, Where::kBt}) {
    const char* mode = where == Where::kClassic ? "trap classic" : "bt";
    const Outcome o = run(where);
    EXPECT_EQ(o.reason, native.reason) << mode << ": " << o.message;
    EXPECT_EQ(o.console, native.console) << mode;
    ASSERT_FALSE(o.idt_before.empty()) << mode;
    EXPECT_EQ(o.idt_after, o.idt_before) << mode << ": the monitor's IDT changed";
    EXPECT_EQ(o.tss_after, o.tss_before) << mode << ": the monitor's TSS changed";
    EXPECT_FALSE(holds(o.idt_after, 0x5A5A0001u)) << mode;
    EXPECT_FALSE(holds(o.tss_after, 0x5A5A0001u)) << mode;
  }
}

}  // namespace
}  // namespace vmlab::modes
