// A guest kernel under bt loads the translator's own selectors into every segment register
// it can, and writes through each (issue 12: the monitors' own selectors).
//
// The shadow GDT's last slots hold the translation cache's code segment (0xFFE8) and the
// translator's %gs data (0xFFF0), both DPL 1, which the translated kernel's ring 1 could
// load as they are; the guest's GDT here is three entries long, so natively each of those
// selectors lies past its limit and every load is #GP(selector). The kernel tries MOV,
// POP, LDS/LES/LFS/LGS/LSS of DS, ES, FS, GS and SS with them, each followed by a store of
// a marker through the register just loaded (the marker is built at run time, so that no
// translation holds it), logs each #GP's error code and goes on. Under bt the log must be
// native's, the marker must appear nowhere in the translation cache or the %gs data, the
// translator's selector table must hold exactly the guest's terms (0 for the null selector
// and its two slots but their RPL-1 selectors, #GP(selector) for every other), and the
// monitor's GDT slots (but for accessed bits), its IDT and its TSS must be what they were
// before the guest ran (modes/tests/hostile_harness.h).
#include <gtest/gtest.h>

#include <vector>

#include "modes/binary-translation/translation_cache.h"
#include "modes/tests/hostile_harness.h"

namespace vmlab::modes {
namespace {

using hostile::emit32;
using hostile::MonitorTables;
using hostile::real_bytes;
using hostile::segment_descriptor;
using hostile::Where;

constexpr uint32_t kCode = 0x100000;
constexpr uint32_t kGdt = 0x101000;
constexpr uint32_t kIdt = 0x102000;
constexpr uint32_t kLog = 0x103000;
constexpr uint32_t kGpHandler = 0x104000;
constexpr uint32_t kPointers = 0x105000;  // m16:32 far pointers, one per attempt
constexpr uint32_t kMarker = 0x5EC7E57Au;
constexpr uint16_t kSelectors[] = {0xFFF1, 0xFFE9, 0xFFF0, 0xFFE8};

struct Program {
  std::vector<uint8_t> code;
  std::vector<uint16_t> want;  // the native #GP error code of each attempt
};

// Each attempt: mov esi, <after>; <the load>; mov eax, ~marker; not eax;
// mov <sreg>:[4], eax; after: (the #GP handler resumes at ESI).
Program program() {
  Program p;
  std::vector<uint8_t>& c = p.code;
  c = {0x0F, 0x01, 0x15};  // lgdt [kGdt + 0x80]
  emit32(c, kGdt + 0x80);
  c.insert(c.end(), {0x0F, 0x01, 0x1D});  // lidt [kGdt + 0x88]
  emit32(c, kGdt + 0x88);
  c.insert(c.end(), {0xBC, 0x00, 0x00, 0x09, 0x00,  // mov esp, 0x90000
                     0x31, 0xFF});                  // xor edi, edi
  struct Sreg {
    uint8_t modrm, prefix, pop0, pop1;  // mov sreg, ax; override; pop sreg (pop1 0: one byte)
    uint8_t lxs0, lxs1;                 // lxs eax, [disp32] (lxs1 0: one-byte opcode)
  };
  const Sreg sregs[] = {{0xC0, 0x26, 0x07, 0, 0xC4, 0},
                        {0xD8, 0x3E, 0x1F, 0, 0xC5, 0},
                        {0xE0, 0x64, 0x0F, 0xA1, 0x0F, 0xB4},
                        {0xE8, 0x65, 0x0F, 0xA9, 0x0F, 0xB5},
                        {0xD0, 0x36, 0x17, 0, 0x0F, 0xB2}};
  uint32_t pointer = kPointers;
  auto attempt = [&](std::vector<uint8_t> load, uint8_t prefix, uint16_t sel) {
    std::vector<uint8_t> insn = std::move(load);
    insn.push_back(0xB8);  // mov eax, ~marker
    emit32(insn, ~kMarker);
    insn.insert(insn.end(), {0xF7, 0xD0, prefix, 0x89, 0x05});  // not eax; mov sreg:[4], eax
    emit32(insn, 4);
    hostile::append_attempt(c, kCode, insn);
    p.want.push_back(sel & 0xFFFCu);
  };
  for (const Sreg& s : sregs) {
    for (const uint16_t sel : kSelectors) {
      // mov ax, sel; mov sreg, ax
      attempt(
          {0x66, 0xB8, static_cast<uint8_t>(sel), static_cast<uint8_t>(sel >> 8), 0x8E, s.modrm},
          s.prefix, sel);
      // push sel; pop sreg
      std::vector<uint8_t> pop = {
          0x68, static_cast<uint8_t>(sel), static_cast<uint8_t>(sel >> 8), 0, 0, s.pop0};
      if (s.pop1) pop.push_back(s.pop1);
      attempt(pop, s.prefix, sel);
      // lxs eax, [pointer] (offset 0, selector sel: written by prepare())
      std::vector<uint8_t> lxs = {s.lxs0};
      if (s.lxs1) lxs.push_back(s.lxs1);
      lxs.push_back(0x05);
      emit32(lxs, pointer);
      attempt(lxs, s.prefix, sel);
      pointer += 8;
    }
  }
  c.insert(c.end(), {0xE6, 0xF4});  // out 0xF4, al
  return p;
}

void prepare(const Program& p, hostile::Run& guest) {
  hostile::write_tables(
      guest, kGdt,
      {0, segment_descriptor(0, 0xFFFFF, 0x9A, 0xC), segment_descriptor(0, 0xFFFFF, 0x92, 0xC)},
      kGdt + 0x80, kIdt, kGdt + 0x88);
  hostile::write_gp_logger(guest, kIdt, kGpHandler, kLog, static_cast<uint32_t>(p.want.size()));
  for (uint32_t i = 0; i < 5 * 4; ++i) {
    guest.write32(kPointers + 8 * i, 0);
    guest.write32(kPointers + 8 * i + 4, kSelectors[i % 4]);
  }
  guest.write(kCode, p.code);
}

bool holds_marker(const std::vector<uint8_t>& bytes) {
  for (size_t i = 0; i + 4 <= bytes.size(); ++i) {
    const uint32_t v = uint32_t{bytes[i]} | uint32_t{bytes[i + 1]} << 8 |
                       uint32_t{bytes[i + 2]} << 16 | uint32_t{bytes[i + 3]} << 24;
    if (v == kMarker) return true;
  }
  return false;
}

TEST(MonitorSelectorsHostile, NoSegmentLoadOfTheGuestKernelReachesTheTranslatorsDescriptors) {
  const Program prog = program();
  ASSERT_EQ(prog.want.size(), 60u);  // 5 registers x 4 selectors x MOV, POP, LxS

  // Natively: every attempt is #GP(selector).
  std::vector<uint32_t> native_log;
  {
    hostile::Run guest(Where::kNative, 100000);
    prepare(prog, guest);
    guest.start(kCode);
    const auto r = guest.run();
    ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
    EXPECT_EQ(guest.cpu().state().gpr[cpu::EDI], prog.want.size());
    for (uint32_t i = 0; i < prog.want.size(); ++i) {
      native_log.push_back(guest.read32(kLog + 4 * i));
      EXPECT_EQ(native_log.back(), prog.want[i]) << "native attempt " << i;
    }
  }

  hostile::Run guest(Where::kBt, 100000);
  prepare(prog, guest);
  guest.start(kCode);
  cpu::Cpu& cpu = guest.cpu();
  const MonitorTables before = MonitorTables::of(cpu);
  constexpr uint32_t kTablePages = 0x20000 / 4096;
  const uint32_t table = bt::layout::kDataBase + bt::gsdata::kSelectorTable;
  std::vector<uint8_t> table_want(kTablePages * 4096);
  for (uint32_t sel = 4; sel <= 0xFFFF; ++sel) {  // (0-3: null)
    const bool in_guest_gdt = !(sel & 4) && (sel >> 3) >= 1 && (sel >> 3) <= 2;
    // RPL 1 of the guest's two DPL-0 slots is #GP(selector) too, as at CPL 0 (SDM Vol. 2,
    // MOV: RPL > DPL), where the processor in ring 1 would load it (seed 22153).
    const bool rpl1_of_dpl0 = in_guest_gdt && (sel & 3) == 1;
    const uint32_t error = in_guest_gdt && !rpl1_of_dpl0 ? 0 : sel & 0xFFFCu;
    table_want[sel * 2] = static_cast<uint8_t>(error);
    table_want[sel * 2 + 1] = static_cast<uint8_t>(error >> 8);
  }
  const auto r = guest.run();
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(cpu.state().gpr[cpu::EDI], prog.want.size());
  for (uint32_t i = 0; i < prog.want.size(); ++i) {
    EXPECT_EQ(guest.read32(kLog + 4 * i), native_log[i]) << "bt attempt " << i;
  }
  EXPECT_FALSE(holds_marker(real_bytes(cpu, bt::layout::kDataBase, bt::layout::kDataPages)))
      << "the guest wrote into the translator's %gs data";
  EXPECT_FALSE(holds_marker(real_bytes(cpu, bt::layout::kTcBase, bt::layout::kTcSize / 4096)))
      << "the guest wrote into the translation cache";
  EXPECT_TRUE(real_bytes(cpu, table, kTablePages) == table_want)
      << "the translator's selector table is not the guest's GDT's";
  const MonitorTables after = MonitorTables::of(cpu);
  EXPECT_EQ(after.gdt_slots, before.gdt_slots) << "the monitor's GDT slots changed";
  EXPECT_EQ(after.idt, before.idt) << "the monitor's IDT changed";
  EXPECT_EQ(after.tss, before.tss) << "the monitor's TSS changed";
}

}  // namespace
}  // namespace vmlab::modes
