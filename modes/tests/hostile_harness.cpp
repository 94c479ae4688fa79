// The hostile tests' scaffolding: see hostile_harness.h.
#include "modes/tests/hostile_harness.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "engine/vmm/core/hypervisor_hole.h"
#include "modes/binary-translation/bt_mode.h"
#include "modes/full-emulation/trap_mode.h"

namespace vmlab::modes::hostile {

const char* name(Where where) {
  switch (where) {
    case Where::kNative: return "native";
    case Where::kClassic: return "trap classic";
    case Where::kBt: return "bt";
  }
  return "?";
}

namespace {

// Attaches `mode`'s monitor to `vm`, or fails the test.
template <class ModeT>
vmm::DeprivilegedMonitor* attach(ModeT* mode, vmm::Vm& vm) {
  auto attached = mode->attach(vm);
  if (!attached.ok()) {
    ADD_FAILURE() << attached.error().message;
    return nullptr;
  }
  return attached.value();
}

}  // namespace

Run::Run(Where where, uint64_t max_instructions) {
  vmm::VmConfig config;
  config.machine.memory_mib = 4;
  config.machine.max_instructions = max_instructions;
  TrapMode* trap = nullptr;
  bt::BtMode* btm = nullptr;
  if (where == Where::kClassic) {
    auto mode = std::make_unique<TrapMode>();
    trap = mode.get();
    config.mode = std::move(mode);
  } else if (where == Where::kBt) {
    auto mode = std::make_unique<bt::BtMode>();
    btm = mode.get();
    config.mode = std::move(mode);
  }
  auto created = vmm::Vm::create(std::move(config));
  if (!created.ok()) {
    ADD_FAILURE() << name(where) << ": " << created.error().message;
    return;
  }
  vm_ = std::move(created.value());
  if (trap) monitor_ = attach(trap, *vm_);
  if (btm) monitor_ = attach(btm, *vm_);
}

std::unique_ptr<vmm::Vm> boot_to_first_line(Where where, const char* kernel,
                                            uint64_t max_instructions) {
  vmm::VmConfig config;
  config.machine.memory_mib = 16;
  config.machine.max_instructions = max_instructions;
  if (where == Where::kClassic) config.mode = std::make_unique<TrapMode>();
  if (where == Where::kBt) config.mode = std::make_unique<bt::BtMode>();
  auto created = vmm::Vm::create(std::move(config));
  if (!created.ok()) {
    ADD_FAILURE() << name(where) << ": " << created.error().message;
    return nullptr;
  }
  std::unique_ptr<vmm::Vm> vm = std::move(created.value());
  if (const auto loaded = vm->load_kernel(kernel); !loaded.ok()) {
    ADD_FAILURE() << name(where) << ": " << loaded.error().message;
    return nullptr;
  }
  while (vm->machine().console_output().find('\n') == std::string::npos) {
    if (vm->run_for(100) != vmm::VmState::kPaused) break;
  }
  return vm;
}

void Run::write32(uint32_t gpa, uint32_t value) {
  if (monitor_) {
    monitor_->memory().write_phys32(gpa, value);
  } else {
    cpu().phys_write32(gpa, value);
  }
}

void Run::write8(uint32_t gpa, uint8_t value) {
  if (monitor_) {
    monitor_->memory().write_phys8(gpa, value);
  } else {
    cpu().phys_write8(gpa, value);
  }
}

void Run::write(uint32_t gpa, const std::vector<uint8_t>& bytes) {
  for (size_t i = 0; i < bytes.size(); ++i) write8(gpa + static_cast<uint32_t>(i), bytes[i]);
}

uint32_t Run::read32(uint32_t gpa) {
  return monitor_ ? monitor_->memory().read_phys32(gpa) : cpu().phys_read32(gpa);
}

void Run::start(uint32_t entry) {
  if (monitor_) {
    monitor_->start(entry, 0, 0);
  } else {
    cpu().reset_multiboot(entry, 0, 0);
  }
}

std::optional<uint32_t> real_frame(cpu::Cpu& cpu, uint32_t linear) {
  const uint32_t pde = cpu.phys_read32((cpu.state().cr3 & ~0xFFFu) + (linear >> 22) * 4);
  if (!(pde & 1)) return std::nullopt;
  const uint32_t pte = cpu.phys_read32((pde & ~0xFFFu) + ((linear >> 12) & 0x3FFu) * 4);
  if (!(pte & 1)) return std::nullopt;
  return pte & ~0xFFFu;
}

std::vector<uint8_t> real_bytes(cpu::Cpu& cpu, uint32_t linear, uint32_t pages) {
  std::vector<uint8_t> bytes(size_t{pages} * 4096);
  for (uint32_t page = 0; page < pages; ++page) {
    const auto ma = real_frame(cpu, linear + page * 4096);
    if (!ma) continue;
    for (uint32_t i = 0; i < 4096; ++i) bytes[size_t{page} * 4096 + i] = cpu.phys_read8(*ma + i);
  }
  return bytes;
}

std::vector<uint32_t> hole_holding(cpu::Cpu& cpu, uint32_t value) {
  std::vector<uint32_t> at;
  for (uint32_t page = vmm::hole::kBase >> 12; page < (1u << 20); ++page) {
    const auto ma = real_frame(cpu, page << 12);
    if (!ma) continue;
    for (uint32_t i = 0; i + 4 <= 4096; ++i) {
      if (cpu.phys_read32(*ma + i) == value) at.push_back((page << 12) + i);
    }
  }
  return at;
}

MonitorTables MonitorTables::of(cpu::Cpu& cpu) {
  MonitorTables t;
  t.gdt_slots = real_bytes(cpu, vmm::hole::kShadowGdt + 0xF000);
  for (uint32_t i = 5; i < 4096; i += 8) t.gdt_slots[i] &= 0xFE;  // the accessed bit
  // bt's cached copy of the guest's %gs (0xFFE0) holds a guest descriptor the shadow held,
  // compressed and cut, which it may change (GdtPageStoreTest checks it); not the monitor's.
  for (uint32_t i = 0xFE0; i < 0xFE8; ++i) t.gdt_slots[i] = 0;
  t.idt = real_bytes(cpu, vmm::hole::kMonitorIdt);
  t.tss = real_bytes(cpu, vmm::hole::kMonitorTss);
  for (uint32_t i = 12; i < 20; ++i) t.tss[i] = 0;  // ESP1, SS1
  return t;
}

void write_tables(Run& guest, uint32_t gdt_at, const std::vector<uint64_t>& gdt, uint32_t gdtr,
                  uint32_t idt_at, uint32_t idtr) {
  for (uint32_t i = 0; i < gdt.size(); ++i) {
    guest.write32(gdt_at + 8 * i, static_cast<uint32_t>(gdt[i]));
    guest.write32(gdt_at + 8 * i + 4, static_cast<uint32_t>(gdt[i] >> 32));
  }
  const auto limit = static_cast<uint32_t>(gdt.size() * 8 - 1);
  guest.write32(gdtr, gdt_at << 16 | limit);
  guest.write32(gdtr + 4, gdt_at >> 16);
  guest.write32(idtr, idt_at << 16 | 0x7FF);
  guest.write32(idtr + 4, idt_at >> 16);
  for (uint32_t i = 0; i < 512; ++i) guest.write32(idt_at + 4 * i, 0);
}

void write_interrupt_gate(Run& guest, uint32_t idt_at, uint8_t vector, uint16_t selector,
                          uint32_t offset) {
  guest.write32(idt_at + vector * 8u, uint32_t{selector} << 16 | (offset & 0xFFFF));
  guest.write32(idt_at + vector * 8u + 4, (offset & 0xFFFF0000u) | 0x8E00u);
}

void write_gp_logger(Run& guest, uint32_t idt_at, uint32_t handler, uint32_t log,
                     uint32_t entries) {
  write_interrupt_gate(guest, idt_at, 13, 0x0008, handler);
  for (uint32_t i = 0; i < entries; ++i) guest.write32(log + 4 * i, 0xFFFFFFFFu);
  std::vector<uint8_t> h = {0x58, 0x89, 0x04, 0xBD};
  emit32(h, log);
  h.insert(h.end(), {0x47, 0x89, 0x34, 0x24, 0xCF});
  guest.write(handler, h);
}

void append_attempt(std::vector<uint8_t>& code, uint32_t code_at,
                    const std::vector<uint8_t>& insn) {
  const auto after = static_cast<uint32_t>(code_at + code.size() + 5 + insn.size());
  code.push_back(0xBE);  // mov esi, after
  emit32(code, after);
  code.insert(code.end(), insn.begin(), insn.end());
}

uint64_t segment_descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  return uint64_t{limit & 0xFFFF} | uint64_t{base & 0xFFFFFF} << 16 | uint64_t{access} << 40 |
         uint64_t{(limit >> 16) & 0xF} << 48 | uint64_t{flags & 0xFu} << 52 |
         uint64_t{base >> 24} << 56;
}

uint64_t call_gate(uint16_t target, uint32_t offset, uint8_t access) {
  return uint64_t{offset & 0xFFFF} | uint64_t{target} << 16 | uint64_t{access} << 40 |
         uint64_t{offset >> 16} << 48;
}

void emit32(std::vector<uint8_t>& code, uint32_t value) {
  for (int b = 0; b < 4; ++b) code.push_back(static_cast<uint8_t>(value >> (8 * b)));
}

}  // namespace vmlab::modes::hostile
