// 16-bit interrupt and trap gates' frames at the hypervisor hole's edge never reach the
// monitor's pages (issue 12).
//
// The gates16 test kernel (tests/kernels/gates16) takes INT n, exceptions and the timer's
// IRQ 0 through 16-bit gates, whose frames are words (SDM Vol. 3A, 6.12.1): in ring 0 one
// INT 0x40 with ESP 0xFC000004, so that its three words straddle the hole's first byte (the
// linear address of the monitor's shadow GDT, where the kernel maps a page of its own), and
// from ring 3 four events whose TSS's ESP0 is 0xFC011800, on the kernel's page at the
// linear address of the monitor's IDT. Under ring compression (trap on the classic CPU,
// bt) the event injector writes those frames through the guest's page tables
// (GuestEventInjector::try_deliver, the guest's own stack segment and not the cut one), and
// the emulated IRETW pops the guest's words. The run prints native's console (every frame
// read back from the kernel's own pages), and the monitor's shadow GDT page (its accessed
// bits aside), IDT page and TSS page are byte for byte what they were before the first
// frame: no frame word (the ring-3 CS 0x3B with its SS 0x43 above the SP) is in them.
//
// The code16 test kernel (tests/kernels/code16) runs guest kernel code in a 16-bit code
// segment, which bt interprets with the kit's scratch processor (interpret16.cpp); among it
// a load of DS with the monitor's TC code selector 0xFFE8, a far CALL to 0xFFF0 and LAR of
// 0xFFF8, which natively lie past the guest's GDT limit. The run prints native's console
// (#GP(selector), ZF clear), and the monitor's shadow GDT, IDT and TSS pages are unchanged.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/vmm/core/hypervisor_hole.h"
#include "engine/vmm/core/vm.h"
#include "modes/tests/hostile_harness.h"

namespace vmlab::modes {
namespace {

using hostile::boot_to_first_line;
using hostile::real_bytes;
using hostile::Where;

// The shadow GDT's first page with every descriptor's accessed bit cleared (segment loads
// set it there), the TSS page without the ring-1 stack the monitor keeps equal to the guest's
// SS0:ESP0.
std::vector<uint8_t> gdt_page(cpu::Cpu& cpu) {
  std::vector<uint8_t> p = real_bytes(cpu, vmm::hole::kShadowGdt);
  for (uint32_t i = 5; i < p.size(); i += 8) p[i] &= 0xFE;
  return p;
}

std::vector<uint8_t> tss_page(cpu::Cpu& cpu) {
  std::vector<uint8_t> p = real_bytes(cpu, vmm::hole::kMonitorTss);
  for (uint32_t i = 12; i < 20; ++i) p[i] = 0;
  return p;
}

// Whether `page` holds the words `lo`, `hi` at any even offset.
bool holds_words(const std::vector<uint8_t>& page, uint16_t lo, uint16_t hi) {
  for (size_t i = 0; i + 4 <= page.size(); i += 2) {
    if ((page[i] | page[i + 1] << 8) == lo && (page[i + 2] | page[i + 3] << 8) == hi) return true;
  }
  return false;
}

struct Outcome {
  machine::StopReason reason{};
  std::string message, console;
  std::vector<uint8_t> gdt_before, gdt_after, idt_before, idt_after, tss_before, tss_after;
};

Outcome run(Where where, const char* kernel = VMLAB_GATES16_KERNEL) {
  // Up to the kernel's first console line: its tables are loaded and paging is on, no
  // 16-bit gate has been taken yet.
  Outcome o;
  const std::unique_ptr<vmm::Vm> booted = boot_to_first_line(where, kernel, 4000000);
  if (!booted) return o;
  vmm::Vm& vm = *booted;
  cpu::Cpu& cpu = vm.machine().cpu();
  if (where != Where::kNative) {
    o.gdt_before = gdt_page(cpu);
    o.idt_before = real_bytes(cpu, vmm::hole::kMonitorIdt);
    o.tss_before = tss_page(cpu);
  }
  const auto r = vm.run();
  o.reason = r.reason;
  o.message = r.message;
  o.console = vm.machine().console_output();
  if (where != Where::kNative) {
    o.gdt_after = gdt_page(cpu);
    o.idt_after = real_bytes(cpu, vmm::hole::kMonitorIdt);
    o.tss_after = tss_page(cpu);
  }
  return o;
}

TEST(Gates16Hostile, SixteenBitFramesAtTheHolesEdgeLeaveTheMonitorsPagesUnchanged) {
  const Outcome native = run(Where::kNative);
  ASSERT_EQ(native.reason, machine::StopReason::kExitPort) << native.message;
  ASSERT_NE(native.console.find("gates16: done"), std::string::npos) << native.console;
  // The frame across 0xFC000000 and ring 3's on the IDT page, read back from the kernel's
  // own pages.
  ASSERT_NE(native.console.find("  esp 0xfbfffffe ip r0_after_edge+0x00000000 cs 0x00000030"),
            std::string::npos)
      << native.console;
  ASSERT_NE(native.console.find("  esp 0xfc0117f6 ip r3_after42+0x00000000 cs 0x0000003b"),
            std::string::npos)
      << native.console;
  ASSERT_EQ(native.console.find("identity addresses: no"), std::string::npos) << native.console;
  for (const Where where : {Where::kClassic, Where::kBt}) {
    const char* mode = where == Where::kClassic ? "trap classic" : "bt";
    const Outcome o = run(where);
    EXPECT_EQ(o.reason, native.reason) << mode << ": " << o.message;
    EXPECT_EQ(o.console, native.console) << mode;
    ASSERT_FALSE(o.gdt_before.empty()) << mode;
    EXPECT_EQ(o.gdt_after, o.gdt_before) << mode << ": the shadow GDT changed";
    EXPECT_EQ(o.idt_after, o.idt_before) << mode << ": the monitor's IDT changed";
    EXPECT_EQ(o.tss_after, o.tss_before) << mode << ": the monitor's TSS changed";
    // Ring 3's SP 0xFF0 with its SS 0x43 above, and its CS 0x3B with FLAGS 0x202.
    EXPECT_FALSE(holds_words(o.idt_after, 0x0FF0, 0x0043)) << mode;
    EXPECT_FALSE(holds_words(o.idt_after, 0x003B, 0x0202)) << mode;
    EXPECT_FALSE(holds_words(o.gdt_after, 0x0030, 0x0006)) << mode;  // the edge frame's CS, FLAGS
  }
}

TEST(Gates16Hostile, SixteenBitKernelCodeNamingTheMonitorsSelectorsLeavesTheMonitorUnchanged) {
  const Outcome native = run(Where::kNative, VMLAB_CODE16_KERNEL);
  ASSERT_EQ(native.reason, machine::StopReason::kExitPort) << native.message;
  ASSERT_NE(native.console.find("the monitor's selectors: MOV DS, 0xffe8: #GP 0x0000ffe8; CALL "
                                "FAR 0xfff0:0: #GP 0x0000fff0; LAR 0xfff8: ZF 0x00000000"),
            std::string::npos)
      << native.console;
  const Outcome o = run(Where::kBt, VMLAB_CODE16_KERNEL);
  EXPECT_EQ(o.reason, native.reason) << o.message;
  EXPECT_EQ(o.console, native.console);
  ASSERT_FALSE(o.gdt_before.empty());
  EXPECT_EQ(o.gdt_after, o.gdt_before) << "the shadow GDT changed";
  EXPECT_EQ(o.idt_after, o.idt_before) << "the monitor's IDT changed";
  EXPECT_EQ(o.tss_after, o.tss_before) << "the monitor's TSS changed";
}

}  // namespace
}  // namespace vmlab::modes
