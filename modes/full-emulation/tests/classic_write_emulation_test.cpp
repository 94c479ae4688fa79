// Every instruction form that can write memory, against a write-protected page table.
//
// The forms come from the processor's own tables (cpu::handler_table and the decoder),
// not from a hand list: every bound (opcode, ModRM.reg) pair, with a memory operand where
// it takes ModRM, with and without LOCK where LOCK is defined, with a REP prefix for the
// string forms, and with two fillings of its immediates. Each runs twice under
// `--mode trap --cpu classic`, in ring 1 on the same state:
//   reference: its memory operand, the stack and the string operands lie on an ordinary
//              data page, so the processor executes it natively;
//   traced:    the same linear page is a page table of the guest (a tracked page the
//              shadows map read-only), so every store traps and the monitor's write
//              emulator performs it.
// A form writes memory when the traced run records a guest page-table write the
// reference run does not. For every form, both runs must end the same way with the same
// registers, flags, EIP, page contents and sensitive_no_trap events.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/cpu/decoder.h"
#include "engine/cpu/insn.h"
#include "engine/vmm/core/vm.h"
#include "modes/binary-translation/bt_mode.h"
#include "modes/full-emulation/trap_mode.h"

namespace vmlab::modes {
namespace {

using vmm::EventKind;

constexpr uint32_t kCode = 0x1000;
constexpr uint32_t kExitAt = 0x3000;  // out 0xF4, al: every pointer on the page leads here
constexpr uint32_t kPd = 0x10000;
constexpr uint32_t kLowPt = 0x11000;    // maps 0-4 MiB identity
constexpr uint32_t kTarget = 0x12000;   // the page every operand lies on
constexpr uint32_t kOtherPt = 0x13000;  // the reference run's page table for 4-8 MiB

struct Outcome {
  machine::StopReason reason{};
  std::optional<uint32_t> exit_value;
  std::array<uint32_t, 8> gpr{};
  uint32_t eip = 0;
  uint32_t eflags = 0;
  std::array<uint32_t, 1024> page{};
  uint16_t cs = 0;
  uint64_t gdt_entry_1 = 0;  // the monitor's shadow descriptor for the guest's 0x08
  uint64_t pt_writes = 0;
  uint64_t sensitive = 0;  // sensitive_no_trap events (PUSHF onto the traced page is one)
  std::string message;
};

// What a test adds to the common program: bytes placed in guest-physical memory, and code
// run after paging is on, before the registers are set.
struct Extra {
  std::vector<std::pair<uint32_t, std::vector<uint8_t>>> pokes;
  std::vector<uint8_t> prologue;
};

// One run under `--mode trap --cpu classic` (or `--mode bt`, which shares the write
// emulator): paging on (CR0.PG and WP), the registers set, the instruction, the exit.
Outcome run_form(const std::vector<uint8_t>& insn, bool traced, const Extra& extra = {},
                 bool bt = false) {
  vmm::VmConfig config;
  config.machine.memory_mib = 4;
  config.machine.max_instructions = 20000;
  auto trap_mode = std::make_unique<TrapMode>();
  auto bt_mode = std::make_unique<bt::BtMode>();
  TrapMode* trap = trap_mode.get();
  bt::BtMode* btm = bt_mode.get();
  if (bt) {
    config.mode = std::move(bt_mode);
  } else {
    config.mode = std::move(trap_mode);
  }
  auto vm = vmm::Vm::create(std::move(config));
  EXPECT_TRUE(vm.ok());
  ClassicMonitor* monitor = nullptr;
  bt::BtMonitor* bt_monitor = nullptr;
  if (bt) {
    auto attached = btm->attach(*vm.value());
    EXPECT_TRUE(attached.ok());
    bt_monitor = attached.value();
  } else {
    auto attached = trap->attach(*vm.value());
    EXPECT_TRUE(attached.ok());
    monitor = attached.value();
  }
  vmm::GuestMemory& mem = bt ? bt_monitor->memory() : monitor->memory();
  auto poke = [&](uint32_t gpa, const std::vector<uint8_t>& bytes) {
    for (size_t i = 0; i < bytes.size(); ++i) {
      mem.write_phys8(gpa + static_cast<uint32_t>(i), bytes[i]);
    }
  };
  for (uint32_t i = 1; i < 1024; ++i) mem.write_phys32(kLowPt + 4 * i, (i << 12) | 0x3);
  mem.write_phys32(kPd, kLowPt | 0x3);
  // The page under test holds not-present entries whose frame is the exit: as data, any
  // pointer loaded from it (a return address, an indirect target) leads to the exit. The
  // reference run has an identical page table for 4-8 MiB elsewhere.
  for (uint32_t i = 0; i < 1024; ++i) {
    mem.write_phys32(kTarget + 4 * i, kExitAt);
    mem.write_phys32(kOtherPt + 4 * i, kExitAt);
  }
  // Its last entry maps 0x7FF000 (read-only) so that the program's read there makes the
  // shadow walk, and track, the page table for 4-8 MiB.
  mem.write_phys32(kTarget + 4 * 1023, kExitAt | 0x1);
  mem.write_phys32(kOtherPt + 4 * 1023, kExitAt | 0x1);
  mem.write_phys32(kPd + 4, (traced ? kTarget : kOtherPt) | 0x3);
  poke(kExitAt, {0xE6, 0xF4});
  for (const auto& [gpa, bytes] : extra.pokes) poke(gpa, bytes);

  std::vector<uint8_t> code = {
      0xB8, 0x00, 0x00, 0x01, 0x00,  // mov eax, 0x10000
      0x0F, 0x22, 0xD8,              // mov cr3, eax
      0x0F, 0x20, 0xC0,              // mov eax, cr0
      0x0D, 0x00, 0x00, 0x01, 0x80,  // or eax, 0x80010000 (PG, WP)
      0x0F, 0x22, 0xC0,              // mov cr0, eax
      0xA1, 0x00, 0xF0, 0x7F, 0x00,  // mov eax, [0x7FF000]
  };
  code.insert(code.end(), extra.prologue.begin(), extra.prologue.end());
  const uint32_t regs[8] = {0x87654321u,     3u,
                            0x00000F81u,     kTarget + 0x600,
                            kTarget + 0xF00, kTarget + 0xA00,
                            kTarget + 0x400, kTarget + 0xC00};
  for (uint8_t r = 0; r < 8; ++r) {
    code.push_back(static_cast<uint8_t>(0xB8 + r));
    for (int b = 0; b < 4; ++b) code.push_back(static_cast<uint8_t>(regs[r] >> (8 * b)));
  }
  code.insert(code.end(), insn.begin(), insn.end());
  code.insert(code.end(), {0xE6, 0xF4});  // out 0xF4, al
  poke(kCode, code);
  if (bt) {
    bt_monitor->start(kCode, 0, 0);
  } else {
    monitor->start(kCode, 0, 0);
  }
  const auto r = vm.value()->run();

  Outcome o;
  o.reason = r.reason;
  o.exit_value = r.exit_value;
  o.message = r.message;
  const cpu::CpuState& s = vm.value()->machine().cpu().state();
  for (int i = 0; i < 8; ++i) o.gpr[i] = s.gpr[i];
  o.eip = s.eip;
  o.eflags = s.eflags;
  o.cs = s.seg[cpu::CS].selector;
  if (monitor) o.gdt_entry_1 = monitor->segments().descriptor(0x09);
  for (uint32_t i = 0; i < 1024; ++i) o.page[i] = mem.read_phys32(kTarget + 4 * i);
  // The read of 0x7FF000 set the accessed bit of the last entry in the traced run's page
  // table only: that is where the runs differ by construction.
  o.page[1023] &= ~0x20u;
  o.pt_writes = vm.value()->recorder().counters().count_of(EventKind::guest_pt_write);
  o.sensitive = vm.value()->recorder().counters().count_of(EventKind::sensitive_no_trap);
  if (std::getenv("VMLAB_WRITE_FORM")) {
    std::printf("eip %x cpl %u cr2 %x\n", s.eip, s.cpl, monitor ? monitor->vcpu().cr2 : 0);
    for (int k = 0; k < 64; ++k) {
      const auto n = vm.value()->recorder().counters().count_of(static_cast<EventKind>(k));
      if (n)
        std::printf("%s event %d: %llu\n", traced ? "traced" : "ref", k, (unsigned long long)n);
    }
  }
  return o;
}

// The encodings to try, from the processor's tables.
struct Form {
  std::vector<uint8_t> bytes;
  std::string name;
};

std::vector<Form> forms_from_the_tables() {
  std::vector<Form> out;
  const cpu::HandlerTable& table = cpu::handler_table();
  for (uint16_t op = 0; op < cpu::kNumOpcodes; ++op) {
    const bool modrm = cpu::opcode_has_modrm(op);
    for (uint8_t reg = 0; reg < (modrm ? 8 : 1); ++reg) {
      if (!table.bound(op, reg)) continue;
      for (const uint8_t fill : {uint8_t{0x00}, uint8_t{0x01}}) {
        for (const uint8_t prefix : {uint8_t{0}, uint8_t{0xF0}, uint8_t{0xF3}}) {
          std::vector<uint8_t> b;
          if (prefix) b.push_back(prefix);
          if (op >= cpu::kTwoByte) b.push_back(0x0F);
          b.push_back(static_cast<uint8_t>(op));
          if (modrm) {
            // [disp32]: the middle of the page under test.
            b.push_back(static_cast<uint8_t>(reg << 3 | 0x05));
            for (int i = 0; i < 4; ++i)
              b.push_back(static_cast<uint8_t>((kTarget + 0x800) >> (8 * i)));
          }
          const size_t fixed = b.size();
          b.resize(fixed + 8, fill);  // immediates, as many as the form takes
          cpu::Insn insn;
          if (cpu::decode(b.data(), b.size(), true, insn) != cpu::DecodeStatus::kOk) continue;
          // Prefix bytes are not forms of their own; the encoding must be this opcode.
          if (insn.op != op || (modrm && insn.reg != reg)) continue;
          if (!cpu::encoding_defined(insn) || insn.exec == cpu::handler_undefined) continue;
          if (prefix == 0xF0 && !insn.lock()) continue;
          // REP only where it repeats: the string forms.
          if (prefix == 0xF3 && !(op >= 0xA4 && op <= 0xAF) && !(op >= 0x6C && op <= 0x6F)) {
            continue;
          }
          b.resize(insn.len);
          char name[64];
          std::snprintf(name, sizeof name, "op %03X /%u%s fill %u", op, reg,
                        prefix == 0xF0   ? " lock"
                        : prefix == 0xF3 ? " rep"
                                         : "",
                        fill);
          out.push_back({b, name});
        }
      }
    }
  }
  return out;
}

TEST(ClassicWriteEmulation, EveryFormThatWritesMemoryMatchesTheProcessorOnATracedPage) {
  const std::vector<Form> forms = forms_from_the_tables();
  unsigned writing = 0;
  std::vector<std::string> writers;
  const char* only = std::getenv("VMLAB_WRITE_FORM");  // to study one form
  for (const Form& f : forms) {
    if (only && f.name != only) continue;
    const Outcome ref = run_form(f.bytes, false);
    const Outcome traced = run_form(f.bytes, true);
    SCOPED_TRACE(f.name);
    if (traced.pt_writes > ref.pt_writes) {
      ++writing;
      writers.push_back(f.name);
    }
    EXPECT_EQ(traced.reason, ref.reason) << traced.message << " / " << ref.message;
    EXPECT_EQ(traced.exit_value, ref.exit_value);
    EXPECT_EQ(traced.gpr, ref.gpr);
    EXPECT_EQ(traced.eip, ref.eip);
    EXPECT_EQ(traced.eflags, ref.eflags);
    EXPECT_EQ(traced.sensitive, ref.sensitive);
    for (uint32_t i = 0; i < 1024; ++i) {
      if (traced.page[i] != ref.page[i]) {
        ADD_FAILURE() << "dword " << i << " of the page: " << traced.page[i] << " traced, "
                      << ref.page[i] << " natively";
        break;
      }
    }
  }
  // The exact figures: how many encodings the tables give, and how many of them write.
  EXPECT_EQ(forms.size(), 3136u);  // (RDPMC since issue 12: two forms)
  EXPECT_EQ(writing, 1370u);
}

TEST(ClassicWriteEmulation, UnderBinaryTranslationTheSameFormsMatchTheProcessorToo) {
  // The translated guest kernel reaches the same emulator (a store from the translation
  // cache to a traced page, then the SIMULATE callouts of adaptive translation).
  const std::vector<Form> forms = forms_from_the_tables();
  unsigned writing = 0;
  for (const Form& f : forms) {
    const Outcome ref = run_form(f.bytes, false, {}, true);
    const Outcome traced = run_form(f.bytes, true, {}, true);
    SCOPED_TRACE(f.name);
    if (traced.pt_writes > ref.pt_writes) ++writing;
    EXPECT_EQ(traced.reason, ref.reason) << traced.message << " / " << ref.message;
    EXPECT_EQ(traced.exit_value, ref.exit_value);
    EXPECT_EQ(traced.gpr, ref.gpr);
    EXPECT_EQ(traced.eip, ref.eip);
    EXPECT_EQ(traced.eflags, ref.eflags);
    for (uint32_t i = 0; i < 1024; ++i) {
      if (traced.page[i] != ref.page[i]) {
        ADD_FAILURE() << "dword " << i << " of the page: " << traced.page[i] << " traced, "
                      << ref.page[i] << " natively";
        break;
      }
    }
  }
  EXPECT_EQ(writing, 1370u);  // the same forms write as under trap-and-emulate
}

TEST(ClassicWriteEmulation, AFarCallThatPushesOntoATracedPageSetsTheShadowAccessedBitAsNatively) {
  // The guest's GDT at 0x6000: null, code 0x08 with its accessed bit clear, data 0x10.
  // The far call loads CS, so the processor sets the accessed bit in the monitor's shadow
  // descriptor (in the hypervisor hole) while the return address goes onto the page table.
  Extra extra;
  extra.pokes = {
      {0x6000, {0, 0,    0,    0, 0,    0,    0, 0, 0xFF, 0xFF, 0,    0,
                0, 0x9A, 0xCF, 0, 0xFF, 0xFF, 0, 0, 0,    0x92, 0xCF, 0}},
      {0x6100, {0x17, 0x00, 0x00, 0x60, 0x00, 0x00}},           // GDTR: limit, base
      {kTarget + 0x800, {0x00, 0x30, 0x00, 0x00, 0x08, 0x00}},  // far pointer 0x08:kExitAt
  };
  extra.prologue = {0x0F, 0x01, 0x15, 0x00, 0x61, 0x00, 0x00};                 // lgdt [0x6100]
  const std::vector<uint8_t> call_far = {0xFF, 0x1D, 0x00, 0x28, 0x01, 0x00};  // call far [m]
  const Outcome ref = run_form(call_far, false, extra);
  const Outcome traced = run_form(call_far, true, extra);
  ASSERT_EQ(ref.reason, machine::StopReason::kExitPort) << ref.message;
  EXPECT_EQ(traced.reason, ref.reason) << traced.message;
  EXPECT_GT(traced.pt_writes, ref.pt_writes);
  EXPECT_EQ(traced.gpr, ref.gpr);
  EXPECT_EQ(traced.eip, ref.eip);
  EXPECT_EQ(traced.cs, 0x09u);
  EXPECT_EQ(traced.cs, ref.cs);
  EXPECT_EQ(traced.page, ref.page);
  EXPECT_EQ(traced.gdt_entry_1, ref.gdt_entry_1);
  EXPECT_TRUE(traced.gdt_entry_1 & (uint64_t{1} << 40));  // accessed
}

TEST(ClassicWriteEmulation, AnX87StoreOntoATracedPagePopsAsNatively) {
  // fild dword [ebx]; fistp dword [esi]; fnstsw ax: the emulated FISTP stores and pops, so
  // that TOP is back at 0 in AX (before the fix the emulator kept only the GPRs: the
  // register stack stayed pushed, AX 0x3800).
  const std::vector<uint8_t> form = {0xDB, 0x03, 0xDB, 0x1E, 0xDF, 0xE0};
  for (const bool bt : {false, true}) {
    const Outcome ref = run_form(form, false, {}, bt);
    const Outcome traced = run_form(form, true, {}, bt);
    ASSERT_EQ(ref.reason, machine::StopReason::kExitPort) << ref.message;
    EXPECT_EQ(traced.reason, ref.reason) << traced.message;
    EXPECT_GT(traced.pt_writes, ref.pt_writes) << (bt ? "bt" : "classic");
    EXPECT_EQ(ref.gpr[cpu::EAX] & 0xFFFF, 0u);
    EXPECT_EQ(traced.gpr, ref.gpr) << (bt ? "bt" : "classic");
    EXPECT_EQ(traced.page, ref.page) << (bt ? "bt" : "classic");
  }
}

TEST(ClassicWriteEmulation, UserInsOntoATracedPageThatTheGuestsBitmapAllowsIsPerformed) {
  // Ring 3 by IRET, with a guest TSS whose I/O bitmap allows ports 0x80 and 0xF4. Its INS
  // writes the page under test: in the traced run the store traps first, and the #GP of
  // the I/O check comes out of the write emulator, which must decide it with the guest's
  // bitmap as the monitor decides a ring-3 #GP.
  Extra extra;
  auto seg = [](uint8_t access) {
    const uint64_t d =
        uint64_t{0xFFFF} | uint64_t{access} << 40 | uint64_t{0xF} << 48 | uint64_t{0xC} << 52;
    std::vector<uint8_t> b(8);
    for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(d >> (8 * i));
    return b;
  };
  std::vector<uint8_t> gdt(8, 0);
  for (uint8_t a : {0x9A, 0x92, 0xFA, 0xF2}) {
    const auto d = seg(a);
    gdt.insert(gdt.end(), d.begin(), d.end());
  }
  // TSS 0x28 at 0x6800: the bitmap at 0x68 covers ports 0-0xFF (32 bytes), then 0xFF;
  // ports 0x80 and 0xF4 (the exit) allowed.
  std::vector<uint8_t> tss(0x68 + 32 + 1, 0xFF);
  std::fill(tss.begin(), tss.begin() + 0x68, uint8_t{0});
  tss[4] = 0x00, tss[5] = 0x90;  // ESP0 0x9000
  tss[8] = 0x10;                 // SS0
  tss[0x66] = 0x68;
  tss[0x68 + 0x80 / 8] = static_cast<uint8_t>(0xFF & ~(1u << (0x80 % 8)));
  tss[0x68 + 0xF4 / 8] = static_cast<uint8_t>(0xFF & ~(1u << (0xF4 % 8)));
  const uint32_t tss_limit = static_cast<uint32_t>(tss.size()) - 1;
  gdt.insert(gdt.end(),
             {static_cast<uint8_t>(tss_limit), 0x00, 0x00, 0x68, 0x00, 0x89, 0x00, 0x00});
  // The IRET frame on the page under test (ESP = kTarget + 0xF00): EIP, CS, EFLAGS, ESP, SS.
  std::vector<uint8_t> frame;
  for (uint32_t v : {0x5000u, 0x1Bu, 0x2u, kTarget + 0xE00, 0x23u}) {
    for (int b = 0; b < 4; ++b) frame.push_back(static_cast<uint8_t>(v >> (8 * b)));
  }
  extra.pokes = {
      {0x6000, gdt},
      {0x6800, tss},
      {0x6100, {0x2F, 0x00, 0x00, 0x60, 0x00, 0x00}},
      // mov ax, 0x23; mov es, ax; mov dx, 0x80; insb; out 0xF4, al
      {0x5000, {0x66, 0xB8, 0x23, 0x00, 0x8E, 0xC0, 0x66, 0xBA, 0x80, 0x00, 0x6C, 0xE6, 0xF4}},
      {kTarget + 0xF00, frame},
      // User access: the PDE, the code page and the page under test.
      {kPd, {0x07, 0x10, 0x01, 0x00}},
      {kLowPt + 4 * 5, {0x07, 0x50, 0x00, 0x00}},
      {kLowPt + 4 * 0x12, {0x07, 0x20, 0x01, 0x00}},
  };
  // lgdt [0x6100]; mov ax, 0x28; ltr ax
  extra.prologue = {0x0F, 0x01, 0x15, 0x00, 0x61, 0x00, 0x00,
                    0x66, 0xB8, 0x28, 0x00, 0x0F, 0x00, 0xD8};
  const std::vector<uint8_t> iret = {0xCF};
  const Outcome ref = run_form(iret, false, extra);
  const Outcome traced = run_form(iret, true, extra);
  ASSERT_EQ(ref.reason, machine::StopReason::kExitPort) << ref.message;
  EXPECT_EQ(traced.reason, ref.reason) << traced.message;
  EXPECT_GT(traced.pt_writes, ref.pt_writes);
  EXPECT_EQ(traced.gpr, ref.gpr);
  EXPECT_EQ(traced.gpr[cpu::EDI], kTarget + 0xC01);
  EXPECT_EQ(traced.page, ref.page);
}

}  // namespace
}  // namespace vmlab::modes
