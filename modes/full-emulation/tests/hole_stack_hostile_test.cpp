// A guest kernel's ring-0 stack in the hypervisor hole never reaches the monitor's pages
// (issue 12: the far-transfer leftovers).
//
// The hole_stack test kernel (tests/kernels/hole_stack) maps pages of its own at the
// linear addresses of the monitor's IDT (0xFC011000) and TSS (0xFC010000), points its
// TSS's SS0:ESP0 into them and enters ring 0 from ring 3 by INT 0x80 and by a call gate;
// each handler reads its frame and returns (IRET, RET 4) from that stack; then a call through
// a 16-bit gate pushes a frame of words on the IDT page. Under ring
// compression (trap on the classic CPU, bt) the event injector writes the interrupt's
// frame, the gate emulation the call's (emulate_call_gate.cpp), through the guest's page
// tables, and the processor's returns pop the guest's own bytes (return_frame_beyond_cut).
// The run prints native's console, and the monitor's IDT page and TSS page (but for the
// ring-1 stack it keeps equal to the guest's ring-0 stack) are byte for byte what they were
// before the guest entered ring 3: no frame word (the gate's parameter 0x5A5A0001, the user
// code and stack selectors) is in them.
//
// The hole_frame test kernel (tests/kernels/hole_frame) takes exceptions and INT n in ring
// 0 with its ESP on pages of its own at the linear addresses of the monitor's shadow GDT
// (0xFC000000), of bt's translation cache (0xFC100000, its %gs selector and re-entry
// trampoline) and near 4 GiB, wrapping across 0; the event injector pushes the frames
// there, the handler's reads and the emulated IRET take them back. The run prints native's
// console, and the shadow GDT's first page (its accessed bits aside), the monitor's IDT and
// TSS pages and the TC's first bytes are what they were before.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "engine/vmm/core/hypervisor_hole.h"
#include "engine/vmm/core/vm.h"
#include "modes/binary-translation/translation_cache.h"
#include "modes/tests/hostile_harness.h"

namespace vmlab::modes {
namespace {

using hostile::boot_to_first_line;
using hostile::real_bytes;
using hostile::Where;

std::vector<uint8_t> tss_page(cpu::Cpu& cpu) {
  std::vector<uint8_t> p = real_bytes(cpu, vmm::hole::kMonitorTss);
  for (uint32_t i = 12; i < 20; ++i) p[i] = 0;  // SS1:ESP1, the guest's SS0:ESP0
  return p;
}

// The shadow GDT's first page with the accessed bit of every descriptor cleared (segment
// loads set it there: docs/modes/binary-translation.md, "What is not done").
std::vector<uint8_t> gdt_page(cpu::Cpu& cpu) {
  std::vector<uint8_t> p = real_bytes(cpu, vmm::hole::kShadowGdt);
  for (uint32_t i = 5; i < p.size(); i += 8) p[i] &= 0xFE;
  return p;
}

// The TC's first bytes, before its first fragment: the %gs selector, the re-entry
// trampoline and the indirect-lookup routine's start.
std::vector<uint8_t> tc_head(cpu::Cpu& cpu) {
  std::vector<uint8_t> p = real_bytes(cpu, bt::layout::kTcBase);
  p.resize(bt::layout::kTcLookup + 16 - bt::layout::kTcBase);
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
  std::vector<uint8_t> gdt_before, gdt_after, tc_before, tc_after;
};

Outcome run(Where where, const char* kernel) {
  // Up to the kernel's first console line: its tables are loaded and paging is on, ring 3
  // is not entered yet (hole_stack), no frame is in the hole yet (hole_frame).
  Outcome o;
  const std::unique_ptr<vmm::Vm> booted = boot_to_first_line(where, kernel, 2000000);
  if (!booted) return o;
  vmm::Vm& vm = *booted;
  cpu::Cpu& cpu = vm.machine().cpu();
  if (where != Where::kNative) {
    o.idt_before = real_bytes(cpu, vmm::hole::kMonitorIdt);
    o.tss_before = tss_page(cpu);
    o.gdt_before = gdt_page(cpu);
    if (where == Where::kBt) o.tc_before = tc_head(cpu);
  }
  const auto r = vm.run();
  o.reason = r.reason;
  o.message = r.message;
  o.console = vm.machine().console_output();
  if (where != Where::kNative) {
    o.idt_after = real_bytes(cpu, vmm::hole::kMonitorIdt);
    o.tss_after = tss_page(cpu);
    o.gdt_after = gdt_page(cpu);
    if (where == Where::kBt) o.tc_after = tc_head(cpu);
  }
  return o;
}

TEST(HoleStackHostile, RingZeroStacksInTheHoleLeaveTheMonitorsPagesUnchanged) {
  const Outcome native = run(Where::kNative, VMLAB_HOLE_STACK_KERNEL);
  ASSERT_EQ(native.reason, machine::StopReason::kExitPort) << native.message;
  ASSERT_NE(native.console.find("hole_stack: done"), std::string::npos) << native.console;
  ASSERT_NE(native.console.find("0x5a5a0001"), std::string::npos) << native.console;
  ASSERT_NE(native.console.find("0x00005a02"), std::string::npos) << native.console;
  for (const Where where : {Where::kClassic, Where::kBt}) {
    const char* mode = where == Where::kClassic ? "trap classic" : "bt";
    const Outcome o = run(where, VMLAB_HOLE_STACK_KERNEL);
    EXPECT_EQ(o.reason, native.reason) << mode << ": " << o.message;
    EXPECT_EQ(o.console, native.console) << mode;
    ASSERT_FALSE(o.idt_before.empty()) << mode;
    EXPECT_EQ(o.idt_after, o.idt_before) << mode << ": the monitor's IDT changed";
    EXPECT_EQ(o.tss_after, o.tss_before) << mode << ": the monitor's TSS changed";
    EXPECT_FALSE(holds(o.idt_after, 0x5A5A0001u)) << mode;
    EXPECT_FALSE(holds(o.tss_after, 0x5A5A0001u)) << mode;
    EXPECT_FALSE(holds(o.idt_after, 0x5A02001Bu)) << mode;  // the 16-bit gate's CS, parameter
  }
}

TEST(HoleStackHostile, SameRingFramesInTheHoleLeaveTheMonitorsPagesUnchanged) {
  const Outcome native = run(Where::kNative, VMLAB_HOLE_FRAME_KERNEL);
  ASSERT_EQ(native.reason, machine::StopReason::kExitPort) << native.message;
  ASSERT_NE(native.console.find("hole_frame: done"), std::string::npos) << native.console;
  // The frame pushed on the guest's page at the TC's address, and read back there.
  ASSERT_NE(native.console.find("int 0x81 with ESP 0xfc100010: handler's esp 0xfc100004, "
                                "frame eip+2 0x00000008 0x00000046\n  in the kernel's own "
                                "pages: eip+2 0x00000008 0x00000046"),
            std::string::npos)
      << native.console;
  for (const Where where : {Where::kClassic, Where::kBt}) {
    const char* mode = where == Where::kClassic ? "trap classic" : "bt";
    const Outcome o = run(where, VMLAB_HOLE_FRAME_KERNEL);
    EXPECT_EQ(o.reason, native.reason) << mode << ": " << o.message;
    EXPECT_EQ(o.console, native.console) << mode;
    ASSERT_FALSE(o.gdt_before.empty()) << mode;
    EXPECT_EQ(o.gdt_after, o.gdt_before) << mode << ": the shadow GDT changed";
    EXPECT_EQ(o.idt_after, o.idt_before) << mode << ": the monitor's IDT changed";
    EXPECT_EQ(o.tss_after, o.tss_before) << mode << ": the monitor's TSS changed";
    EXPECT_EQ(o.tc_after, o.tc_before) << mode << ": the TC's first bytes changed";
    if (where == Where::kBt) {
      ASSERT_EQ(o.tc_before.size(), 32u);
      EXPECT_EQ(o.tc_before[0] | o.tc_before[1] << 8, bt::layout::kGsData);
    }
  }
}

}  // namespace
}  // namespace vmlab::modes
