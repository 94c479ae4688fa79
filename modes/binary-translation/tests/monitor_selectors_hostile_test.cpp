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
// and its two slots, #GP(selector) for every other), and the monitor's GDT slots (but for
// accessed bits) must be byte for byte what they were before the guest ran.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/vmm/core/hypervisor_hole.h"
#include "engine/vmm/core/vm.h"
#include "modes/binary-translation/bt_mode.h"
#include "modes/binary-translation/translation_cache.h"

namespace vmlab::modes {
namespace {

constexpr uint32_t kCode = 0x100000;
constexpr uint32_t kGdt = 0x101000;
constexpr uint32_t kIdt = 0x102000;
constexpr uint32_t kLog = 0x103000;
constexpr uint32_t kGpHandler = 0x104000;
constexpr uint32_t kPointers = 0x105000;  // m16:32 far pointers, one per attempt
constexpr uint32_t kMarker = 0x5EC7E57Au;
constexpr uint16_t kSelectors[] = {0xFFF1, 0xFFE9, 0xFFF0, 0xFFE8};

uint64_t desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  return uint64_t{limit & 0xFFFF} | uint64_t{base & 0xFFFFFF} << 16 | uint64_t{access} << 40 |
         uint64_t{(limit >> 16) & 0xF} << 48 | uint64_t{flags & 0xFu} << 52 |
         uint64_t{base >> 24} << 56;
}

void emit32(std::vector<uint8_t>& c, uint32_t v) {
  for (int b = 0; b < 4; ++b) c.push_back(static_cast<uint8_t>(v >> (8 * b)));
}

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
    const uint32_t after = kCode + static_cast<uint32_t>(c.size()) + 5 + insn.size();
    c.push_back(0xBE);  // mov esi, after
    emit32(c, after);
    c.insert(c.end(), insn.begin(), insn.end());
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

template <class Write32, class Write8>
void prepare(const Program& p, Write32 write32, Write8 write8) {
  const uint64_t gdt[3] = {0, desc(0, 0xFFFFF, 0x9A, 0xC), desc(0, 0xFFFFF, 0x92, 0xC)};
  for (uint32_t i = 0; i < 3; ++i) {
    write32(kGdt + 8 * i, static_cast<uint32_t>(gdt[i]));
    write32(kGdt + 8 * i + 4, static_cast<uint32_t>(gdt[i] >> 32));
  }
  write32(kGdt + 0x80, uint32_t{kGdt} << 16 | (3 * 8 - 1));  // GDTR image: limit, base
  write32(kGdt + 0x84, kGdt >> 16);
  write32(kGdt + 0x88, uint32_t{kIdt} << 16 | 0x7FF);  // IDTR image
  write32(kGdt + 0x8C, kIdt >> 16);
  for (uint32_t i = 0; i < 512; ++i) write32(kIdt + 4 * i, 0);
  write32(kIdt + 13 * 8, 0x0008u << 16 | (kGpHandler & 0xFFFF));  // #GP: interrupt gate
  write32(kIdt + 13 * 8 + 4, (kGpHandler & 0xFFFF0000u) | 0x8E00u);
  for (uint32_t i = 0; i < p.want.size(); ++i) write32(kLog + 4 * i, 0xFFFFFFFFu);
  for (uint32_t i = 0; i < 5 * 4; ++i) {
    write32(kPointers + 8 * i, 0);
    write32(kPointers + 8 * i + 4, kSelectors[i % 4]);
  }
  // The #GP handler: pop eax (the error code); mov [edi*4 + kLog], eax; inc edi;
  // mov [esp], esi; iret.
  std::vector<uint8_t> h = {0x58, 0x89, 0x04, 0xBD};
  emit32(h, kLog);
  h.insert(h.end(), {0x47, 0x89, 0x34, 0x24, 0xCF});
  for (size_t i = 0; i < h.size(); ++i) write8(kGpHandler + static_cast<uint32_t>(i), h[i]);
  for (size_t i = 0; i < p.code.size(); ++i) write8(kCode + static_cast<uint32_t>(i), p.code[i]);
}

// The real processor's view of `pages` pages of the hole from `linear` (the monitor's).
std::vector<uint8_t> hole_bytes(cpu::Cpu& cpu, uint32_t linear, uint32_t pages) {
  std::vector<uint8_t> bytes;
  bytes.reserve(pages * 4096);
  for (uint32_t page = 0; page < pages; ++page) {
    const uint32_t at = linear + page * 4096;
    const uint32_t pde = cpu.phys_read32((cpu.state().cr3 & ~0xFFFu) + (at >> 22) * 4);
    const uint32_t pte =
        (pde & 1) ? cpu.phys_read32((pde & ~0xFFFu) + ((at >> 12) & 0x3FFu) * 4) : 0;
    for (uint32_t i = 0; i < 4096; ++i) {
      bytes.push_back((pte & 1) ? cpu.phys_read8((pte & ~0xFFFu) + i) : 0);
    }
  }
  return bytes;
}

std::vector<uint8_t> gdt_tail(cpu::Cpu& cpu) {
  std::vector<uint8_t> p = hole_bytes(cpu, vmm::hole::kShadowGdt + 0xF000, 1);
  for (uint32_t i = 5; i < 4096; i += 8) p[i] &= 0xFE;
  return p;
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
    vmm::VmConfig config;
    config.machine.memory_mib = 4;
    config.machine.max_instructions = 100000;
    auto created = vmm::Vm::create(std::move(config));
    ASSERT_TRUE(created.ok());
    vmm::Vm& vm = *created.value();
    cpu::Cpu& cpu = vm.machine().cpu();
    prepare(
        prog, [&](uint32_t pa, uint32_t v) { cpu.phys_write32(pa, v); },
        [&](uint32_t pa, uint8_t v) { cpu.phys_write8(pa, v); });
    cpu.reset_multiboot(kCode, 0, 0);
    const auto r = vm.run();
    ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
    EXPECT_EQ(cpu.state().gpr[cpu::EDI], prog.want.size());
    for (uint32_t i = 0; i < prog.want.size(); ++i) {
      native_log.push_back(cpu.phys_read32(kLog + 4 * i));
      EXPECT_EQ(native_log.back(), prog.want[i]) << "native attempt " << i;
    }
  }

  vmm::VmConfig config;
  config.machine.memory_mib = 4;
  config.machine.max_instructions = 100000;
  auto bt_mode = std::make_unique<bt::BtMode>();
  bt::BtMode* btm = bt_mode.get();
  config.mode = std::move(bt_mode);
  auto created = vmm::Vm::create(std::move(config));
  ASSERT_TRUE(created.ok());
  vmm::Vm& vm = *created.value();
  cpu::Cpu& cpu = vm.machine().cpu();
  auto attached = btm->attach(vm);
  ASSERT_TRUE(attached.ok());
  bt::BtMonitor* monitor = attached.value();
  vmm::GuestMemory& mem = monitor->memory();
  prepare(
      prog, [&](uint32_t gpa, uint32_t v) { mem.write_phys32(gpa, v); },
      [&](uint32_t gpa, uint8_t v) { mem.write_phys8(gpa, v); });
  monitor->start(kCode, 0, 0);
  const std::vector<uint8_t> gdt_before = gdt_tail(cpu);
  constexpr uint32_t kTablePages = 0x20000 / 4096;
  const uint32_t table = bt::layout::kDataBase + bt::gsdata::kSelectorTable;
  std::vector<uint8_t> table_want(kTablePages * 4096);
  for (uint32_t sel = 4; sel <= 0xFFFF; ++sel) {  // (0-3: null)
    const bool guest = !(sel & 4) && (sel >> 3) >= 1 && (sel >> 3) <= 2;
    const uint32_t error = guest ? 0 : sel & 0xFFFCu;
    table_want[sel * 2] = static_cast<uint8_t>(error);
    table_want[sel * 2 + 1] = static_cast<uint8_t>(error >> 8);
  }
  const auto r = vm.run();
  ASSERT_EQ(r.reason, machine::StopReason::kExitPort) << r.message;
  EXPECT_EQ(cpu.state().gpr[cpu::EDI], prog.want.size());
  for (uint32_t i = 0; i < prog.want.size(); ++i) {
    EXPECT_EQ(mem.read_phys32(kLog + 4 * i), native_log[i]) << "bt attempt " << i;
  }
  EXPECT_FALSE(holds_marker(hole_bytes(cpu, bt::layout::kDataBase, bt::layout::kDataPages)))
      << "the guest wrote into the translator's %gs data";
  EXPECT_FALSE(holds_marker(hole_bytes(cpu, bt::layout::kTcBase, bt::layout::kTcSize / 4096)))
      << "the guest wrote into the translation cache";
  EXPECT_TRUE(hole_bytes(cpu, table, kTablePages) == table_want)
      << "the translator's selector table is not the guest's GDT's";
  EXPECT_EQ(gdt_tail(cpu), gdt_before) << "the monitor's GDT slots changed";
}

}  // namespace
}  // namespace vmlab::modes
