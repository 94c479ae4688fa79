// Far transfers into the hypervisor hole never reach the monitor's pages (issue 12, items
// 3 and 12).
//
// The guest kernel maps one page of its own at the linear addresses of the monitor's GDT
// (0xFC000000), TSS (0xFC010000), IDT (0xFC011000) and bt's translation cache (0xFC100000),
// and at the gap below the hole (0xFBFFF000), with a code stub in it; it far-calls the stub
// at each address through a code segment based at 0x800 (whose page-granular cut ends
// 0x800 bytes short of the hole), and takes an interrupt whose handler lies in the gap
// through the same segment; the stub stores a marker through an expand-down
// data segment whose range reaches the hole (at the IDT page's linear address) and
// returns far. Natively the guest owns those addresses; under ring compression (trap on
// the classic CPU, bt) the monitor performs each transfer with the guest's own limit and
// executes the stub's instructions one at a time (emulate_far_transfer.cpp). Both runs
// end with the same registers and the marker in the guest's page, and under the monitors
// no page of the hole (the real mapping: the monitor's GDT, TSS, IDT, shadow LDT, bt's
// data and TC) holds the marker, the monitor's IDT page is byte for byte unchanged, and
// so are its own GDT slots (the last GDT page), but for accessed bits.
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/vmm/core/hypervisor_hole.h"
#include "engine/vmm/core/vm.h"
#include "modes/binary-translation/bt_mode.h"
#include "modes/full-emulation/trap_mode.h"

namespace vmlab::modes {
namespace {

using vmm::EventKind;

constexpr uint32_t kCode = 0x100000;
constexpr uint32_t kGdt = 0x101000;
constexpr uint32_t kIdt = 0x102000;
constexpr uint32_t kPd = 0x10000;
constexpr uint32_t kGapPt = 0x11000;   // 0xFBC00000-0xFBFFFFFF
constexpr uint32_t kHolePt = 0x12000;  // 0xFC000000-0xFC3FFFFF
constexpr uint32_t kPage = 0x13000;    // the guest's page at every address
constexpr uint32_t kMarker = 0x5EC0DE5Au;

enum class Where { kNative, kClassic, kBt };

struct Outcome {
  machine::StopReason reason{};
  std::optional<uint32_t> exit_value;
  std::array<uint32_t, 8> gpr{};
  uint32_t page_marker = 0;  // the guest's page, offset 0x100
  uint64_t hole_accesses = 0;
  std::string message;
  // Under a monitor: the real mapping of the hole, before and after the run.
  std::vector<uint32_t> markers_in_hole;  // linear addresses holding the marker
  std::vector<uint8_t> idt_before, idt_after;
  std::vector<uint64_t> gdt_tail_before, gdt_tail_after;
};

uint64_t desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  return uint64_t{limit & 0xFFFF} | uint64_t{base & 0xFFFFFF} << 16 | uint64_t{access} << 40 |
         uint64_t{(limit >> 16) & 0xF} << 48 | uint64_t{flags & 0xFu} << 52 |
         uint64_t{base >> 24} << 56;
}

void emit32(std::vector<uint8_t>& c, uint32_t v) {
  for (int b = 0; b < 4; ++b) c.push_back(static_cast<uint8_t>(v >> (8 * b)));
}

std::vector<uint8_t> program() {
  std::vector<uint8_t> c = {
      0x0F, 0x20, 0xE0,  // mov eax, cr4
      0x83, 0xC8, 0x10,  // or eax, 0x10 (PSE)
      0x0F, 0x22, 0xE0,  // mov cr4, eax
      0x0F, 0x01, 0x15,  // lgdt [kGdt + 0x40]
  };
  emit32(c, kGdt + 0x40);
  c.insert(c.end(), {0xB8});  // mov eax, kPd
  emit32(c, kPd);
  c.insert(c.end(), {0x0F, 0x22, 0xD8,              // mov cr3, eax
                     0x0F, 0x20, 0xC0,              // mov eax, cr0
                     0x0D, 0x00, 0x00, 0x00, 0x80,  // or eax, 0x80000000
                     0x0F, 0x22, 0xC0,              // mov cr0, eax
                     0x66, 0xB8, 0x20, 0x00,        // mov ax, 0x20
                     0x8E, 0xC0,                    // mov es, ax
                     0xBC, 0x00, 0x00, 0x09, 0x00,  // mov esp, 0x90000
                     0x31, 0xFF});                  // xor edi, edi
  // lcall 0x18:off for each target: base 0x800 + off is the linear address.
  for (const uint32_t linear : {0xFC000000u, 0xFC010000u, 0xFC011000u, 0xFC100000u, 0xFBFFF800u}) {
    c.push_back(0x9A);
    emit32(c, linear - 0x800);
    c.insert(c.end(), {0x18, 0x00});
  }
  // An interrupt whose handler lies in the gap (through the same code segment).
  c.insert(c.end(), {0x0F, 0x01, 0x1D});  // lidt [kGdt + 0x48]
  emit32(c, kGdt + 0x48);
  c.insert(c.end(), {0xCD, 0x41});  // int 0x41
  c.insert(c.end(), {0xE6, 0xF4});  // out 0xF4, al
  return c;
}

// The stub at offsets 0 and 0x800 of the guest's page: mov eax, ~kMarker; not eax;
// mov es:[0xFC011100], eax; inc edi; retf.
std::vector<uint8_t> stub() {
  std::vector<uint8_t> c = {0xB8};
  emit32(c, ~kMarker);  // (the marker is computed: no translation of the stub holds it)
  c.insert(c.end(), {0xF7, 0xD0, 0x26, 0xA3});
  emit32(c, 0xFC011100u);
  c.insert(c.end(), {0x47, 0xCB});
  return c;
}

template <class Write32, class Write8>
void prepare(Write32 write32, Write8 write8) {
  const uint64_t gdt[5] = {0, desc(0, 0xFFFFF, 0x9A, 0xC), desc(0, 0xFFFFF, 0x92, 0xC),
                           desc(0x800, 0xFFFFF, 0x9A, 0xC),  // 0x18: code at 0x800
                           desc(0, 0xF0000, 0x96, 0xC)};     // 0x20: expand-down, B set
  for (uint32_t i = 0; i < 5; ++i) {
    write32(kGdt + 8 * i, static_cast<uint32_t>(gdt[i]));
    write32(kGdt + 8 * i + 4, static_cast<uint32_t>(gdt[i] >> 32));
  }
  write32(kGdt + 0x40, uint32_t{kGdt} << 16 | (5 * 8 - 1));  // GDTR image: limit, base
  write32(kGdt + 0x44, kGdt >> 16);
  // The IDT: one interrupt gate, vector 0x41, 0x18:0xFBFFF100 (linear 0xFBFFF900).
  write32(kGdt + 0x48, uint32_t{kIdt} << 16 | 0x7FF);  // IDTR image
  write32(kGdt + 0x4C, kIdt >> 16);
  for (uint32_t i = 0; i < 512; ++i) write32(kIdt + 4 * i, 0);
  write32(kIdt + 0x41 * 8, 0x0018u << 16 | 0xF100u);
  write32(kIdt + 0x41 * 8 + 4, 0xFBFFu << 16 | 0x8E00u);
  write8(kPage + 0x900, 0x47);  // inc edi
  write8(kPage + 0x901, 0xCF);  // iret
  for (uint32_t i = 0; i < 1024; ++i) write32(kPd + 4 * i, 0);
  write32(kPd, 0x00000083);  // 0-4 MiB: identity, one 4 MiB page (CR4.PSE)
  write32(kPd + 4 * (0xFBC00000u >> 22), kGapPt | 3);
  write32(kPd + 4 * (0xFC000000u >> 22), kHolePt | 3);
  write32(kGapPt + 4 * 1023, kPage | 3);
  for (const uint32_t index : {0x000u, 0x010u, 0x011u, 0x100u}) {
    write32(kHolePt + 4 * index, kPage | 3);
  }
  const std::vector<uint8_t> s = stub();
  for (size_t i = 0; i < s.size(); ++i) {
    write8(kPage + i, s[i]);
    write8(kPage + 0x800 + i, s[i]);
  }
  const std::vector<uint8_t> code = program();
  for (size_t i = 0; i < code.size(); ++i) write8(kCode + i, code[i]);
}

// The real processor's mapping of a hole page (the monitor's): its machine address, or
// nothing when the page is not mapped.
std::optional<uint32_t> real_frame(cpu::Cpu& cpu, uint32_t linear) {
  const uint32_t pde = cpu.phys_read32((cpu.state().cr3 & ~0xFFFu) + (linear >> 22) * 4);
  if (!(pde & 1)) return std::nullopt;
  const uint32_t pte = cpu.phys_read32((pde & ~0xFFFu) + ((linear >> 12) & 0x3FFu) * 4);
  if (!(pte & 1)) return std::nullopt;
  return pte & ~0xFFFu;
}

std::vector<uint8_t> real_page(cpu::Cpu& cpu, uint32_t linear) {
  std::vector<uint8_t> bytes(4096);
  if (const auto ma = real_frame(cpu, linear)) {
    for (uint32_t i = 0; i < 4096; ++i) bytes[i] = cpu.phys_read8(*ma + i);
  }
  return bytes;
}

std::vector<uint64_t> gdt_tail(cpu::Cpu& cpu) {
  std::vector<uint64_t> d;
  const std::vector<uint8_t> page = real_page(cpu, vmm::hole::kShadowGdt + 0xF000);
  for (uint32_t i = 0; i < 4096; i += 8) {
    uint64_t v = 0;
    for (uint32_t b = 0; b < 8; ++b) v |= uint64_t{page[i + b]} << (8 * b);
    d.push_back(v & ~(uint64_t{1} << 40));  // the accessed bit is the processor's
  }
  return d;
}

Outcome run(Where where) {
  vmm::VmConfig config;
  config.machine.memory_mib = 4;
  config.machine.max_instructions = 100000;
  auto trap_mode = std::make_unique<TrapMode>();
  auto bt_mode = std::make_unique<bt::BtMode>();
  TrapMode* trap = trap_mode.get();
  bt::BtMode* btm = bt_mode.get();
  if (where == Where::kBt) {
    config.mode = std::move(bt_mode);
  } else if (where == Where::kClassic) {
    config.mode = std::move(trap_mode);
  }
  auto created = vmm::Vm::create(std::move(config));
  EXPECT_TRUE(created.ok());
  vmm::Vm& vm = *created.value();
  cpu::Cpu& cpu = vm.machine().cpu();
  Outcome o;
  vmm::GuestMemory* mem = nullptr;
  if (where == Where::kNative) {
    prepare([&](uint32_t pa, uint32_t v) { cpu.phys_write32(pa, v); },
            [&](uint32_t pa, uint8_t v) { cpu.phys_write8(pa, v); });
    cpu.reset_multiboot(kCode, 0, 0);
  } else {
    ClassicMonitor* monitor = nullptr;
    bt::BtMonitor* bt_monitor = nullptr;
    if (where == Where::kBt) {
      auto attached = btm->attach(vm);
      EXPECT_TRUE(attached.ok());
      bt_monitor = attached.value();
      mem = &bt_monitor->memory();
    } else {
      auto attached = trap->attach(vm);
      EXPECT_TRUE(attached.ok());
      monitor = attached.value();
      mem = &monitor->memory();
    }
    prepare([&](uint32_t gpa, uint32_t v) { mem->write_phys32(gpa, v); },
            [&](uint32_t gpa, uint8_t v) { mem->write_phys8(gpa, v); });
    if (bt_monitor) {
      bt_monitor->start(kCode, 0, 0);
    } else {
      monitor->start(kCode, 0, 0);
    }
    o.idt_before = real_page(cpu, vmm::hole::kMonitorIdt);
    o.gdt_tail_before = gdt_tail(cpu);
  }
  const auto r = vm.run();
  o.reason = r.reason;
  o.exit_value = r.exit_value;
  o.message = r.message;
  const cpu::CpuState& s = cpu.state();
  for (int i = 0; i < 8; ++i) o.gpr[i] = s.gpr[i];
  o.page_marker = mem ? mem->read_phys32(kPage + 0x100) : cpu.phys_read32(kPage + 0x100);
  o.hole_accesses = vm.recorder().counters().count_of(EventKind::hole_access);
  if (where != Where::kNative) {
    o.idt_after = real_page(cpu, vmm::hole::kMonitorIdt);
    o.gdt_tail_after = gdt_tail(cpu);
    for (uint32_t page = vmm::hole::kBase >> 12; page < (1u << 20); ++page) {
      const auto ma = real_frame(cpu, page << 12);
      if (!ma) continue;
      for (uint32_t i = 0; i + 4 <= 4096; ++i) {  // at every byte offset
        if (cpu.phys_read32(*ma + i) == kMarker) o.markers_in_hole.push_back((page << 12) + i);
      }
    }
  }
  return o;
}

TEST(HoleFar, TransfersIntoTheMonitorsPagesRunTheGuestsCodeAndLeaveThemUnchanged) {
  const Outcome native = run(Where::kNative);
  ASSERT_EQ(native.reason, machine::StopReason::kExitPort) << native.message;
  EXPECT_EQ(native.gpr[cpu::EDI], 6u);  // every stub ran, and the handler
  EXPECT_EQ(native.page_marker, kMarker);
  EXPECT_EQ(native.hole_accesses, 0u);
  for (const Where where : {Where::kClassic, Where::kBt}) {
    const char* mode = where == Where::kClassic ? "trap classic" : "bt";
    const Outcome o = run(where);
    EXPECT_EQ(o.reason, native.reason) << mode << ": " << o.message;
    EXPECT_EQ(o.exit_value, native.exit_value) << mode;
    EXPECT_EQ(o.gpr, native.gpr) << mode;
    EXPECT_EQ(o.page_marker, kMarker) << mode;
    EXPECT_GT(o.hole_accesses, 0u) << mode;
    EXPECT_TRUE(o.markers_in_hole.empty()) << mode << ": the marker reached the monitor's page at "
                                           << std::hex << o.markers_in_hole.front();
    EXPECT_EQ(o.idt_after, o.idt_before) << mode << ": the monitor's IDT changed";
    EXPECT_EQ(o.gdt_tail_after, o.gdt_tail_before) << mode << ": the monitor's GDT slots changed";
  }
}

}  // namespace
}  // namespace vmlab::modes
