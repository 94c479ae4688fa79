// Hostile task switches under the monitors that compress rings (issue 12; trap on the
// classic CPU and bt, which perform the guest's task switches with the processor model's
// routine on the scratch processor: engine/vmm/kit/emulate_guest_task_switch.cpp).
//
// A hand-assembled kernel keeps its own TSS on the page of its GDT (a page the monitors
// trace: every store the switch makes there goes through the shadow MMU), then
//   1. jumps to a TSS whose descriptor's limit is 0x50, below the 0x67 a 32-bit TSS needs:
//      #TS(0x20) before anything changes (SDM Vol. 3A, table 7-1);
//   2. calls a task (B) with EBX = 0x5A5A5A5A: B marks a word and returns with IRET (NT set,
//      its link the kernel's TSS); the kernel's EBX comes back from its TSS on the GDT page,
//      and the busy bits are the kernel's set, B's clear;
//   3. jumps to a TSS at linear 0xFC000000, the monitors' hypervisor hole (past the 4 MiB of
//      RAM natively, which reads as all ones: the new task's EFLAGS has VM set, and the run
//      stops after the checks, V86 not being modeled). Under the monitors the scratch
//      processor may not read the monitor's pages in the guest's place (its implicit
//      accesses to the hole are fenced): the run stops too.
// Natively and under each monitor: the same #TS error code, the same marks and busy bits,
// the run stopped as unsupported at the last attempt; under the monitors their own GDT
// slots, IDT and TSS (but for the ring-1 stack the TSS keeps equal to the guest's ring-0
// stack) byte for byte as before the guest ran.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "modes/tests/hostile_harness.h"

namespace vmlab::modes {
namespace {

using hostile::emit32;
using hostile::MonitorTables;
using hostile::segment_descriptor;
using hostile::Where;

constexpr uint32_t kCode = 0x100000;
constexpr uint32_t kGdt = 0x101000;
constexpr uint32_t kTssMain = kGdt + 0x200;  // on the GDT's page
constexpr uint32_t kIdt = 0x102000;
constexpr uint32_t kLog = 0x103000;
constexpr uint32_t kHandler = 0x104000;
constexpr uint32_t kTaskB = 0x105000;
constexpr uint32_t kTssB = 0x106000;
constexpr uint32_t kMark = 0x107000;
constexpr uint32_t kEntries = 4;

constexpr uint16_t kSelMain = 0x18, kSelShort = 0x20, kSelHole = 0x28, kSelB = 0x30;

std::vector<uint8_t> far(uint8_t opcode, uint16_t sel) {
  return {opcode, 0, 0, 0, 0, static_cast<uint8_t>(sel), static_cast<uint8_t>(sel >> 8)};
}

std::vector<uint8_t> program() {
  std::vector<uint8_t> c = {0x0F, 0x01, 0x15};  // lgdt [kGdt + 0x80]
  emit32(c, kGdt + 0x80);
  c.insert(c.end(), {0x0F, 0x01, 0x1D});  // lidt [kGdt + 0x88]
  emit32(c, kGdt + 0x88);
  c.insert(c.end(), {0xBC, 0x00, 0x00, 0x09, 0x00,          // mov esp, 0x90000
                     0x31, 0xFF,                            // xor edi, edi
                     0x66, 0xB8, kSelMain, 0x00,            // mov ax, kSelMain
                     0x0F, 0x00, 0xD8});                    // ltr ax
  hostile::append_attempt(c, kCode, far(0xEA, kSelShort));  // 1. ljmp: #TS
  c.insert(c.end(), {0xBB, 0x5A, 0x5A, 0x5A, 0x5A});        // mov ebx, 0x5A5A5A5A
  hostile::append_attempt(c, kCode, far(0x9A, kSelB));      // 2. lcall task B
  c.push_back(0x89);                                        // mov [kMark + 4], ebx
  c.push_back(0x1D);
  emit32(c, kMark + 4);
  hostile::append_attempt(c, kCode, far(0xEA, kSelHole));  // 3. ljmp into the hole
  c.insert(c.end(), {0xE6, 0xF4});                         // out 0xF4, al
  return c;
}

std::vector<uint8_t> task_b() {
  std::vector<uint8_t> c = {0xC7, 0x05};  // mov dword [kMark], 0xB0B0B0B0
  emit32(c, kMark);
  emit32(c, 0xB0B0B0B0u);
  c.push_back(0xCF);  // iret (NT set: back to the caller's task)
  return c;
}

void prepare(hostile::Run& guest) {
  hostile::write_tables(
      guest, kGdt,
      {0, segment_descriptor(0, 0xFFFFF, 0x9A, 0xC), segment_descriptor(0, 0xFFFFF, 0x92, 0xC),
       segment_descriptor(kTssMain, 0x67, 0x89, 0), segment_descriptor(0x108000, 0x50, 0x89, 0),
       segment_descriptor(0xFC000000u, 0x67, 0x89, 0), segment_descriptor(kTssB, 0x67, 0x89, 0)},
      kGdt + 0x80, kIdt, kGdt + 0x88);
  hostile::write_gp_logger(guest, kIdt, kHandler, kLog, kEntries);
  hostile::write_interrupt_gate(guest, kIdt, 10, 0x08, kHandler);  // #TS logs too
  // Task B: ring 0, flat segments, its own stack, EBX 0x1234 (figure 7-2's offsets).
  guest.write32(kTssB + 0x20, kTaskB);   // EIP
  guest.write32(kTssB + 0x24, 0x2);      // EFLAGS
  guest.write32(kTssB + 0x34, 0x1234);   // EBX
  guest.write32(kTssB + 0x38, 0x80000);  // ESP
  for (uint32_t i = 0; i < 6; ++i) guest.write32(kTssB + 0x48 + 4 * i, i == 1 ? 0x08 : 0x10);
  guest.write(kTaskB, task_b());
  guest.write(kCode, program());
}

struct Outcome {
  machine::StopReason reason{};
  std::string message;
  std::array<uint32_t, kEntries> log{};
  uint32_t mark = 0, ebx_back = 0, main_type = 0, b_type = 0, b_link = 0;
  MonitorTables before, after;  // under a monitor
};

Outcome run(Where where) {
  hostile::Run guest(where, 100000);
  prepare(guest);
  guest.start(kCode);
  Outcome o;
  if (guest.monitored()) o.before = MonitorTables::of(guest.cpu());
  const auto r = guest.run();
  o.reason = r.reason;
  o.message = r.message;
  for (uint32_t i = 0; i < kEntries; ++i) o.log[i] = guest.read32(kLog + 4 * i);
  o.mark = guest.read32(kMark);
  o.ebx_back = guest.read32(kMark + 4);
  o.main_type = (guest.read32(kGdt + kSelMain + 4) >> 8) & 0xF;
  o.b_type = (guest.read32(kGdt + kSelB + 4) >> 8) & 0xF;
  o.b_link = guest.read32(kTssB) & 0xFFFF;
  if (guest.monitored()) o.after = MonitorTables::of(guest.cpu());
  return o;
}

TEST(TaskSwitchHostile, ShortLimitTracedTssAndTssInTheHole) {
  const Outcome native = run(Where::kNative);
  ASSERT_EQ(native.reason, machine::StopReason::kUnsupported) << native.message;
  EXPECT_NE(native.message.find("V86"), std::string::npos) << native.message;
  const std::array<uint32_t, kEntries> want = {kSelShort, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF};
  EXPECT_EQ(native.log, want);
  EXPECT_EQ(native.mark, 0xB0B0B0B0u);
  EXPECT_EQ(native.ebx_back, 0x5A5A5A5Au);
  EXPECT_EQ(native.main_type, 0xBu);  // busy (the running task)
  EXPECT_EQ(native.b_type, 0x9u);     // available again after its IRET
  EXPECT_EQ(native.b_link, kSelMain);
  for (const Where where : hostile::kMonitors) {
    const char* mode = hostile::name(where);
    const Outcome o = run(where);
    EXPECT_EQ(o.reason, machine::StopReason::kUnsupported) << mode << ": " << o.message;
    EXPECT_NE(o.message.find("fenced range"), std::string::npos) << mode << ": " << o.message;
    EXPECT_EQ(o.log, native.log) << mode;
    EXPECT_EQ(o.mark, native.mark) << mode;
    EXPECT_EQ(o.ebx_back, native.ebx_back) << mode;
    EXPECT_EQ(o.main_type, native.main_type) << mode;
    EXPECT_EQ(o.b_type, native.b_type) << mode;
    EXPECT_EQ(o.b_link, native.b_link) << mode;
    EXPECT_EQ(o.after.gdt_slots, o.before.gdt_slots) << mode << ": the monitor's GDT slots changed";
    EXPECT_EQ(o.after.idt, o.before.idt) << mode << ": the monitor's IDT changed";
    EXPECT_EQ(o.after.tss, o.before.tss) << mode << ": the monitor's TSS changed";
  }
}

}  // namespace
}  // namespace vmlab::modes
