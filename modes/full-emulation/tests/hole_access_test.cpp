// The hypervisor hole is the guest's address space too (issue 12, item 12).
//
// Each instruction form below runs in the guest kernel with its memory operands, its stack
// or its string operands at linear addresses in the monitor's hole (a guest page mapped at
// 0xFEE00000, another at 0xFFFFF000), paging on, once natively and once under each monitor
// that keeps a hole (trap on the classic CPU, bt). Natively the guest owns those addresses;
// under ring compression each access meets the cut segment limits and the monitor executes
// the instruction for the guest (PrivilegedEmulator::emulate_hole_access). Both runs must
// end the same way, with the same registers, arithmetic flags and page contents, the
// monitor must have recorded hole_access events, and its own GDT slots, IDT and TSS must be
// as they were before the guest ran (modes/tests/hostile_harness.h). Before the fix every
// form here faulted (#GP or #SS) into a guest without an IDT.
#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "modes/tests/hostile_harness.h"

namespace vmlab::modes {
namespace {

using hostile::MonitorTables;
using hostile::Where;
using vmm::EventKind;

constexpr uint32_t kCode = 0x100000;
constexpr uint32_t kPd = 0x10000;
constexpr uint32_t kApicPt = 0x11000;  // 0xFEC00000-0xFEFFFFFF
constexpr uint32_t kTopPt = 0x12000;   // 0xFFC00000-0xFFFFFFFF
constexpr uint32_t kApicPage = 0x13000;
constexpr uint32_t kTopPage = 0x14000;

struct Outcome {
  machine::StopReason reason{};
  std::optional<uint32_t> exit_value;
  std::array<uint32_t, 8> gpr{};
  uint32_t flags = 0;
  std::array<uint32_t, 2048> pages{};  // the two guest pages the hole maps, after the run
  uint64_t hole_accesses = 0;
  std::string message;
  MonitorTables before, after;  // under a monitor
};

// The page tables (4 MiB identity for the code, the two hole pages) and the pages' filling.
void prepare(hostile::Run& guest) {
  guest.write32(kPd, 0x00000083);  // 0-4 MiB, a 4 MiB page (CR4.PSE)
  guest.write32(kPd + 4 * (0xFEC00000u >> 22), kApicPt | 0x3);
  guest.write32(kPd + 4 * (0xFFC00000u >> 22), kTopPt | 0x3);
  guest.write32(kApicPt + 4 * ((0xFEE00000u >> 12) & 1023), kApicPage | 0x3);
  guest.write32(kTopPt + 4 * 1023, kTopPage | 0x3);
  for (uint32_t i = 0; i < 1024; ++i) {
    guest.write32(kApicPage + 4 * i, 0x01010101u * (i & 0xFF) ^ 0xA5000000u);
    guest.write32(kTopPage + 4 * i, 0x10203040u + i);
  }
}

std::vector<uint8_t> program(const std::vector<uint8_t>& form) {
  std::vector<uint8_t> code = {
      0x0F, 0x20, 0xE0,              // mov eax, cr4
      0x83, 0xC8, 0x10,              // or eax, 0x10 (PSE)
      0x0F, 0x22, 0xE0,              // mov cr4, eax
      0xB8, 0x00, 0x00, 0x01, 0x00,  // mov eax, kPd
      0x0F, 0x22, 0xD8,              // mov cr3, eax
      0x0F, 0x20, 0xC0,              // mov eax, cr0
      0x0D, 0x00, 0x00, 0x00, 0x80,  // or eax, 0x80000000 (PG)
      0x0F, 0x22, 0xC0,              // mov cr0, eax
  };
  const uint32_t regs[8] = {0x87654321u, 3u,          0x00000F81u, 0xFEE00600u,
                            0xFEE00F00u, 0xFEE00A00u, 0xFEE00400u, 0xFEE00C00u};
  for (uint8_t r = 0; r < 8; ++r) {
    code.push_back(static_cast<uint8_t>(0xB8 + r));
    for (int b = 0; b < 4; ++b) code.push_back(static_cast<uint8_t>(regs[r] >> (8 * b)));
  }
  code.insert(code.end(), form.begin(), form.end());
  code.insert(code.end(), {0xE6, 0xF4});  // out 0xF4, al
  return code;
}

Outcome run(const std::vector<uint8_t>& form, Where where) {
  hostile::Run guest(where, 20000);
  prepare(guest);
  guest.write(kCode, program(form));
  guest.start(kCode);
  Outcome o;
  if (guest.monitored()) o.before = MonitorTables::of(guest.cpu());
  const auto r = guest.run();
  o.reason = r.reason;
  o.exit_value = r.exit_value;
  o.message = r.message;
  const cpu::CpuState& s = guest.cpu().state();
  for (int i = 0; i < 8; ++i) o.gpr[i] = s.gpr[i];
  o.flags = s.eflags & 0xCD5u;  // CF PF AF ZF SF DF OF
  for (uint32_t i = 0; i < 1024; ++i) {
    o.pages[i] = guest.read32(kApicPage + 4 * i);
    o.pages[1024 + i] = guest.read32(kTopPage + 4 * i);
  }
  o.hole_accesses = guest.vm().recorder().counters().count_of(EventKind::hole_access);
  if (guest.monitored()) o.after = MonitorTables::of(guest.cpu());
  return o;
}

struct Form {
  const char* name;
  std::vector<uint8_t> bytes;
};

const std::vector<Form>& forms() {
  static const std::vector<Form> k = {
      {"mov [ebx], eax; mov ecx, [ebx]", {0x89, 0x03, 0x8B, 0x0B}},
      {"mov ecx, [esi]", {0x8B, 0x0E}},
      {"add dword [ebp+8], imm32", {0x81, 0x45, 0x08, 0x45, 0x23, 0x01, 0x00, 0x8B, 0x45, 0x08}},
      {"push eax; push dword [esi]; pop edx; pop ebx", {0x50, 0xFF, 0x36, 0x5A, 0x5B}},
      {"pushad; popad; mov eax, [esp-4]", {0x60, 0x61, 0x8B, 0x44, 0x24, 0xFC}},
      {"rep movsd; mov eax, [edi-4]", {0xF3, 0xA5, 0x8B, 0x47, 0xFC}},
      {"std; rep stosd; cld; mov edx, [edi+4]", {0xFD, 0xF3, 0xAB, 0xFC, 0x8B, 0x57, 0x04}},
      {"xchg [edi], edx; mov ecx, [edi]", {0x87, 0x17, 0x8B, 0x0F}},
      {"cmpxchg8b [ebx]; mov esi, [ebx+4]", {0x0F, 0xC7, 0x0B, 0x8B, 0x73, 0x04}},
      {"call next; pop ebx", {0xE8, 0x00, 0x00, 0x00, 0x00, 0x5B}},
      {"enter 16, 0; mov [ebp-4], ecx; leave; mov eax, [esp-8]",
       {0xC8, 0x10, 0x00, 0x00, 0x89, 0x4D, 0xFC, 0xC9, 0x8B, 0x44, 0x24, 0xF8}},
      // The stack wraps: ESP 0 pushes at 0xFFFFFFFC, on the page mapped at 0xFFFFF000.
      {"mov esp, 0; push eax; push ecx; pop edx; pop esi",
       {0xBC, 0x00, 0x00, 0x00, 0x00, 0x50, 0x51, 0x5A, 0x5E}},
      // REP MOVSD from one hole page to the other, its source running to 4 GiB.
      {"mov esi, 0xFFFFFFF0; rep movsd (4)",
       {0xBE, 0xF0, 0xFF, 0xFF, 0xFF, 0xB9, 0x04, 0x00, 0x00, 0x00, 0xF3, 0xA5}},
      // x87 operands in the hole: the emulated FILD pushes and the emulated FISTP pops on
      // the guest's own register stack, which the instructions between them (run on the
      // real processor) and FNSTSW (TOP in AX) see (random guest seed 20077 --ring3).
      {"fild dword [ebx]; fld1; faddp; fistp dword [edi]; mov ecx, [edi]; fnstsw ax",
       {0xDB, 0x03, 0xD9, 0xE8, 0xDE, 0xC1, 0xDB, 0x1F, 0x8B, 0x0F, 0xDF, 0xE0}},
      {"fild dword [ebx]; fnstsw ax", {0xDB, 0x03, 0xDF, 0xE0}},
  };
  return k;
}

TEST(HoleAccess, EveryFormRunsAsNativelyUnderRingCompression) {
  for (const Form& f : forms()) {
    const Outcome native = run(f.bytes, Where::kNative);
    ASSERT_EQ(native.reason, machine::StopReason::kExitPort) << f.name << ": " << native.message;
    for (const Where where : hostile::kMonitors) {
      const char* mode = hostile::name(where);
      const Outcome o = run(f.bytes, where);
      EXPECT_EQ(o.reason, native.reason) << f.name << " under " << mode << ": " << o.message;
      EXPECT_EQ(o.exit_value, native.exit_value) << f.name << " under " << mode;
      EXPECT_EQ(o.gpr, native.gpr) << f.name << " under " << mode;
      EXPECT_EQ(o.flags, native.flags) << f.name << " under " << mode;
      EXPECT_TRUE(o.pages == native.pages) << f.name << " under " << mode << ": the pages differ";
      EXPECT_GT(o.hole_accesses, 0u) << f.name << " under " << mode;
      EXPECT_EQ(o.after.gdt_slots, o.before.gdt_slots)
          << f.name << " under " << mode << ": the monitor's GDT slots changed";
      EXPECT_EQ(o.after.idt, o.before.idt)
          << f.name << " under " << mode << ": the monitor's IDT changed";
      EXPECT_EQ(o.after.tss, o.before.tss)
          << f.name << " under " << mode << ": the monitor's TSS changed";
    }
    EXPECT_EQ(native.hole_accesses, 0u) << f.name;
  }
}

// LDS with its far pointer in the hole and a null selector: a load that reads no
// descriptor, which the scratch processor completes without the GDT. DS must be null
// afterwards under the monitors as natively, so that the next access through it is the
// guest's #GP (here, without an IDT, the shutdown), not a read. The second form's pointer
// wraps: its offset at 0xFFFFFFFC, its selector read on its own at 0, as natively (random
// guest seed 21101: bt and the classic CPU refused the 6 bytes as one access and reflected
// a #GP, or loaded nothing).
TEST(HoleAccess, NullSelectorLoadFromTheHoleLoadsIt) {
  const std::vector<Form> loads = {
      {"mov dword [ebx+4], 0; lds ecx, [ebx]; mov eax, [0x100000]",
       {0xC7, 0x43, 0x04, 0x00, 0x00, 0x00, 0x00, 0xC5, 0x0B, 0xA1, 0x00, 0x00, 0x10, 0x00}},
      {"mov dword [0], 0; mov ebx, 0xFFFFFFFC; lds ecx, [ebx]; mov eax, [0x100000]",
       {0xC7, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xBB,
        0xFC, 0xFF, 0xFF, 0xFF, 0xC5, 0x0B, 0xA1, 0x00, 0x00, 0x10, 0x00}},
  };
  for (const Form& f : loads) {
    const Outcome native = run(f.bytes, Where::kNative);
    ASSERT_EQ(native.reason, machine::StopReason::kTripleFault) << f.name << ": " << native.message;
    for (const Where where : hostile::kMonitors) {
      const char* mode = hostile::name(where);
      const Outcome o = run(f.bytes, where);
      EXPECT_EQ(o.reason, native.reason) << f.name << " under " << mode << ": " << o.message;
      EXPECT_EQ(o.gpr, native.gpr) << f.name << " under " << mode;
      EXPECT_TRUE(o.pages == native.pages) << f.name << " under " << mode << ": the pages differ";
      EXPECT_GT(o.hole_accesses, 0u) << f.name << " under " << mode;
      EXPECT_EQ(o.after.gdt_slots, o.before.gdt_slots) << f.name << " under " << mode;
      EXPECT_EQ(o.after.idt, o.before.idt) << f.name << " under " << mode;
      EXPECT_EQ(o.after.tss, o.before.tss) << f.name << " under " << mode;
    }
  }
}

// Guest kernel code in the hole that stores onto its own page directory (random guest --rich
// seed 31222 --paging: a far CALL to 0xFFF0BE1D, whose ADD [EAX], AL wrote the directory):
// the store is emulated (the directory is traced), and the instruction lies past the cut
// CS limit. bt runs such code from its translation cache; its write emulator ran the store
// on the scratch processor with the cut limit, #GP(0) where natively it runs on (here,
// without an IDT, a triple fault). The classic CPU executes each of these instructions in
// the hole for the guest already.
TEST(HoleAccess, CodeInTheHoleStoresOntoItsPageDirectory) {
  // At 0xFFFFF000 (kTopPage): mov eax, 0x00000083; or [kPd+4], eax (PDE 1: 4-8 MiB, a 4
  // MiB page onto the first 4 MiB; a read-modify-write, which the scratch processor runs,
  // as 31222's ADD); mov ecx, [0x420000] (through it); mov edx, [kPd+4]; out 0xF4, al.
  const std::vector<uint8_t> top = {0xB8, 0x83, 0x00, 0x00, 0x00, 0x09, 0x05, 0x04, 0x00,
                                    0x01, 0x00, 0x8B, 0x0D, 0x00, 0x00, 0x42, 0x00, 0x8B,
                                    0x15, 0x04, 0x00, 0x01, 0x00, 0xE6, 0xF4};
  auto run_top = [&](Where where) {
    hostile::Run guest(where, 20000);
    prepare(guest);
    guest.write(kTopPage, top);
    guest.write32(0x20000, 0x5EED1234u);
    // A GDT (null, flat ring-0 code and data) at 0x30000 for the far JMP into the hole, the
    // way 31222 entered it (a far transfer's target loads CS with its own limit).
    hostile::write_tables(guest, 0x30000, {0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull},
                          0x30100, 0x31000, 0x30108);
    std::vector<uint8_t> code = {0x0F, 0x01, 0x15, 0x00, 0x01, 0x03, 0x00};  // lgdt [0x30100]
    const std::vector<uint8_t> rest = program({});
    code.insert(code.end(), rest.begin(), rest.end() - 2);  // (its exit is the hole's code's)
    code.insert(code.end(), {0xEA, 0x00, 0xF0, 0xFF, 0xFF, 0x08, 0x00});  // jmp 0x08:0xFFFFF000
    guest.write(kCode, code);
    guest.start(kCode);
    Outcome o;
    if (guest.monitored()) o.before = MonitorTables::of(guest.cpu());
    const auto r = guest.run();
    o.reason = r.reason;
    o.exit_value = r.exit_value;
    o.message = r.message;
    for (int i = 0; i < 8; ++i) o.gpr[i] = guest.cpu().state().gpr[i];
    o.pages[0] = guest.read32(kPd + 4);
    if (guest.monitored()) o.after = MonitorTables::of(guest.cpu());
    return o;
  };
  const Outcome native = run_top(Where::kNative);
  ASSERT_EQ(native.reason, machine::StopReason::kExitPort) << native.message;
  EXPECT_EQ(native.gpr[cpu::ECX], 0x5EED1234u);
  EXPECT_EQ(native.gpr[cpu::EDX], 0x000000A3u);  // (accessed: the read went through it)
  for (const Where where : hostile::kMonitors) {
    const char* mode = hostile::name(where);
    const Outcome o = run_top(where);
    EXPECT_EQ(o.reason, native.reason) << mode << ": " << o.message;
    EXPECT_EQ(o.gpr, native.gpr) << mode;
    EXPECT_EQ(o.pages[0], native.pages[0]) << mode;
    EXPECT_EQ(o.after.gdt_slots, o.before.gdt_slots) << mode;
    EXPECT_EQ(o.after.idt, o.before.idt) << mode;
    EXPECT_EQ(o.after.tss, o.before.tss) << mode;
  }
}

}  // namespace
}  // namespace vmlab::modes
