// A guest kernel reaches for the monitor's own descriptors through far transfers, segment
// loads and call gates (issue 12, the far-transfer leftovers of items 3 and 12).
//
// Under ring compression the shadow GDT holds the monitor's own descriptors in its last
// slots (the monitor's TSS at 0xFFF8, and under bt the translation cache's code segment at
// 0xFFE8 and the translator's %gs data at 0xFFF0, both ring 1), above every slot a guest's
// table fills; call gates of the guest's are put into the shadow only for the one transfer
// that names them (emulate_call_gate.cpp). The guest's GDT here is six entries long, so
// natively each of those selectors lies past its limit: a far CALL or JMP to one, a load of
// one into a data segment register, and a call gate of the guest's whose target is one, are
// each #GP(selector) (the gate's: #GP(target)), and so is a far RET or IRET whose CS image
// is one (bt's TC code segment, with RPL 0 and 1). The kernel logs every #GP's error code
// and goes on. Under the monitors (trap on the classic CPU, bt) the log is native's, the run ends
// at the exit port, and the monitor's GDT slots (but for accessed bits), its TSS (but for the
// ring-1 stack it keeps equal to the guest's ring-0 stack) and its IDT are byte for byte
// what they were before the guest ran.
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

constexpr uint32_t kCode = 0x100000;
constexpr uint32_t kGdt = 0x101000;
constexpr uint32_t kIdt = 0x102000;
constexpr uint32_t kLog = 0x103000;
constexpr uint32_t kGpHandler = 0x104000;
constexpr uint32_t kAttempts = 14;

enum class Where { kNative, kClassic, kBt };

uint64_t desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  return uint64_t{limit & 0xFFFF} | uint64_t{base & 0xFFFFFF} << 16 | uint64_t{access} << 40 |
         uint64_t{(limit >> 16) & 0xF} << 48 | uint64_t{flags & 0xFu} << 52 |
         uint64_t{base >> 24} << 56;
}

uint64_t call_gate(uint16_t target, uint32_t offset, uint8_t access) {
  return uint64_t{offset & 0xFFFF} | uint64_t{target} << 16 | uint64_t{access} << 40 |
         uint64_t{offset >> 16} << 48;
}

void emit32(std::vector<uint8_t>& c, uint32_t v) {
  for (int b = 0; b < 4; ++b) c.push_back(static_cast<uint8_t>(v >> (8 * b)));
}

// Each attempt: mov esi, <after>; <the instruction>; after: (the #GP handler resumes at ESI).
std::vector<uint8_t> program() {
  std::vector<uint8_t> c = {0x0F, 0x01, 0x15};  // lgdt [kGdt + 0x80]
  emit32(c, kGdt + 0x80);
  c.insert(c.end(), {0x0F, 0x01, 0x1D});  // lidt [kGdt + 0x88]
  emit32(c, kGdt + 0x88);
  c.insert(c.end(), {0xBC, 0x00, 0x00, 0x09, 0x00,  // mov esp, 0x90000
                     0x31, 0xFF});                  // xor edi, edi
  auto attempt = [&](std::vector<uint8_t> insn) {
    const uint32_t after = kCode + static_cast<uint32_t>(c.size()) + 5 + insn.size();
    c.push_back(0xBE);  // mov esi, after
    emit32(c, after);
    c.insert(c.end(), insn.begin(), insn.end());
  };
  auto far = [&](uint8_t opcode, uint16_t sel) {
    std::vector<uint8_t> i = {opcode, 0, 0, 0, 0};
    i.push_back(static_cast<uint8_t>(sel));
    i.push_back(static_cast<uint8_t>(sel >> 8));
    return i;
  };
  auto load = [&](uint8_t sreg_modrm, uint16_t sel) {  // mov ax, sel; mov sreg, ax
    return std::vector<uint8_t>{
        0x66, 0xB8, static_cast<uint8_t>(sel), static_cast<uint8_t>(sel >> 8), 0x8E, sreg_modrm};
  };
  attempt(far(0x9A, 0xFFF8));  // lcall: the monitor's TSS
  attempt(far(0x9A, 0xFFE9));  // lcall: bt's TC code segment, RPL 1
  attempt(far(0x9A, 0xFFE8));
  attempt(far(0xEA, 0xFFE9));   // ljmp
  attempt(far(0x9A, 0xFFF1));   // lcall: bt's %gs data
  attempt(load(0xC0, 0xFFF8));  // mov es: the monitor's TSS
  // (Loads of bt's own TC code and %gs data selectors into every segment register:
  // modes/binary-translation/tests/monitor_selectors_hostile_test.cpp.)
  attempt(far(0x9A, 0x0018));  // lcall through the gate to 0xFFE8
  attempt(far(0x9A, 0x0020));  // ... to 0xFFF8
  attempt(far(0xEA, 0x0028));  // ljmp through the gate to 0xFFF0
  attempt(far(0x9A, 0x0030));  // lcall through the gate to 0xFFE9 (DPL 1 in the shadow)
  // A far RET and an IRET to the TC code segment, RPL 0 and RPL 1: push the frame first
  // (EFLAGS 2, CS, EIP 0). (ESP is not restored: the handler's IRET keeps it where it is.)
  for (const uint16_t cs : {uint16_t{0xFFE8}, uint16_t{0xFFE9}}) {
    attempt({0x6A, 0x00,                                                           // push 0
             0x68, static_cast<uint8_t>(cs), static_cast<uint8_t>(cs >> 8), 0, 0,  // push cs
             0x6A, 0x00,                                                           // push 0
             0xCB});                                                               // retf
    attempt({0x6A, 0x02, 0x68, static_cast<uint8_t>(cs), static_cast<uint8_t>(cs >> 8), 0, 0, 0x6A,
             0x00, 0xCF});  // push 2; push cs; push 0; iret
  }
  c.insert(c.end(), {0xE6, 0xF4});  // out 0xF4, al
  return c;
}

template <class Write32, class Write8>
void prepare(Write32 write32, Write8 write8) {
  const uint64_t gdt[7] = {0,
                           desc(0, 0xFFFFF, 0x9A, 0xC),
                           desc(0, 0xFFFFF, 0x92, 0xC),
                           call_gate(0xFFE8, 0, 0x8C),
                           call_gate(0xFFF8, 0, 0x8C),
                           call_gate(0xFFF0, 0, 0x8C),
                           call_gate(0xFFE9, 0, 0x8C)};
  for (uint32_t i = 0; i < 7; ++i) {
    write32(kGdt + 8 * i, static_cast<uint32_t>(gdt[i]));
    write32(kGdt + 8 * i + 4, static_cast<uint32_t>(gdt[i] >> 32));
  }
  write32(kGdt + 0x80, uint32_t{kGdt} << 16 | (7 * 8 - 1));  // GDTR image: limit, base
  write32(kGdt + 0x84, kGdt >> 16);
  write32(kGdt + 0x88, uint32_t{kIdt} << 16 | 0x7FF);  // IDTR image
  write32(kGdt + 0x8C, kIdt >> 16);
  for (uint32_t i = 0; i < 512; ++i) write32(kIdt + 4 * i, 0);
  write32(kIdt + 13 * 8, 0x0008u << 16 | (kGpHandler & 0xFFFF));  // #GP: interrupt gate
  write32(kIdt + 13 * 8 + 4, (kGpHandler & 0xFFFF0000u) | 0x8E00u);
  for (uint32_t i = 0; i < kAttempts; ++i) write32(kLog + 4 * i, 0xFFFFFFFFu);
  // The #GP handler: pop eax (the error code); mov [edi*4 + kLog], eax; inc edi;
  // mov [esp], esi; iret.
  std::vector<uint8_t> h = {0x58, 0x89, 0x04, 0xBD};
  emit32(h, kLog);
  h.insert(h.end(), {0x47, 0x89, 0x34, 0x24, 0xCF});
  for (size_t i = 0; i < h.size(); ++i) write8(kGpHandler + static_cast<uint32_t>(i), h[i]);
  const std::vector<uint8_t> code = program();
  for (size_t i = 0; i < code.size(); ++i) write8(kCode + static_cast<uint32_t>(i), code[i]);
}

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

struct Outcome {
  machine::StopReason reason{};
  std::string message;
  uint32_t gp_count = 0;
  std::array<uint32_t, kAttempts> log{};
  std::vector<uint8_t> gdt_tail_before, gdt_tail_after, idt_before, idt_after, tss_before,
      tss_after;
};

// The last page of the shadow GDT (the monitor's slots) without the accessed bits, and the
// monitor's TSS without SS1:ESP1.
std::vector<uint8_t> gdt_tail(cpu::Cpu& cpu) {
  std::vector<uint8_t> p = real_page(cpu, vmm::hole::kShadowGdt + 0xF000);
  for (uint32_t i = 5; i < 4096; i += 8) p[i] &= 0xFE;
  return p;
}

std::vector<uint8_t> tss(cpu::Cpu& cpu) {
  std::vector<uint8_t> p = real_page(cpu, vmm::hole::kMonitorTss);
  for (uint32_t i = 12; i < 20; ++i) p[i] = 0;
  return p;
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
    o.gdt_tail_before = gdt_tail(cpu);
    o.idt_before = real_page(cpu, vmm::hole::kMonitorIdt);
    o.tss_before = tss(cpu);
  }
  const auto r = vm.run();
  o.reason = r.reason;
  o.message = r.message;
  o.gp_count = cpu.state().gpr[cpu::EDI];
  for (uint32_t i = 0; i < kAttempts; ++i) {
    o.log[i] = mem ? mem->read_phys32(kLog + 4 * i) : cpu.phys_read32(kLog + 4 * i);
  }
  if (where != Where::kNative) {
    o.gdt_tail_after = gdt_tail(cpu);
    o.idt_after = real_page(cpu, vmm::hole::kMonitorIdt);
    o.tss_after = tss(cpu);
  }
  return o;
}

TEST(FarGatesHostile, NoFarTransferSegmentLoadOrGateReachesTheMonitorsDescriptors) {
  const Outcome native = run(Where::kNative);
  ASSERT_EQ(native.reason, machine::StopReason::kExitPort) << native.message;
  EXPECT_EQ(native.gp_count, kAttempts);  // every attempt is #GP natively
  const std::array<uint32_t, kAttempts> want = {0xFFF8, 0xFFE8, 0xFFE8, 0xFFE8, 0xFFF0,
                                                0xFFF8, 0xFFE8, 0xFFF8, 0xFFF0, 0xFFE8,
                                                0xFFE8, 0xFFE8, 0xFFE8, 0xFFE8};
  EXPECT_EQ(native.log, want);
  for (const Where where : {Where::kClassic, Where::kBt}) {
    const char* mode = where == Where::kClassic ? "trap classic" : "bt";
    const Outcome o = run(where);
    EXPECT_EQ(o.reason, native.reason) << mode << ": " << o.message;
    EXPECT_EQ(o.gp_count, native.gp_count) << mode;
    EXPECT_EQ(o.log, native.log) << mode;
    EXPECT_EQ(o.gdt_tail_after, o.gdt_tail_before) << mode << ": the monitor's GDT slots changed";
    EXPECT_EQ(o.idt_after, o.idt_before) << mode << ": the monitor's IDT changed";
    EXPECT_EQ(o.tss_after, o.tss_before) << mode << ": the monitor's TSS changed";
  }
}

}  // namespace
}  // namespace vmlab::modes
