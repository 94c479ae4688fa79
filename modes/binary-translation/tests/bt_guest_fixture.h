// Tiny guests under `--mode bt`: hand-assembled bytes placed in guest-physical memory, the
// monitor started in ring 1 on them (no Multiboot image), as the trap mode's tests do.
// Every program starts with "mov esp, 0x8000" and ends with "mov al,0; out 0xF4,al" (one
// callout). The guest's code is read by the translator, never fetched by the processor, so
// code pages cost no hidden fault; the stack and data pages do.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/vmm/core/cost_profile.h"
#include "engine/vmm/core/vm.h"
#include "modes/binary-translation/bt_mode.h"

namespace vmlab::modes::bt {

inline const std::vector<uint8_t> kExit = {0xB0, 0x00, 0xE6, 0xF4};         // mov al,0; out 0xF4,al
inline const std::vector<uint8_t> kStack = {0xBC, 0x00, 0x80, 0x00, 0x00};  // mov esp, 0x8000

class BtGuestTest : public ::testing::Test {
 protected:
  void SetUp() override { create(); }

  // The 4 MiB machine under bt, with the named profile (profiles/NAME.profile) or the
  // default costs. A fixture that needs a profile's figures calls this from its SetUp.
  void create(const std::string& profile_name = "") {
    vmm::VmConfig config;
    config.machine.memory_mib = 4;
    if (!profile_name.empty()) {
      auto profile = vmm::CostProfile::load_file(std::string(VMLAB_PROFILES_DIR) + "/" +
                                                 profile_name + ".profile");
      ASSERT_TRUE(profile.ok()) << profile.error().message;
      config.profile = std::move(profile.value());
    }
    auto mode = std::make_unique<BtMode>();
    BtMode* bt = mode.get();
    config.mode = std::move(mode);
    auto vm = vmm::Vm::create(std::move(config));
    ASSERT_TRUE(vm.ok()) << vm.error().message;
    vm_ = std::move(vm.value());
    auto m = bt->attach(*vm_);
    ASSERT_TRUE(m.ok()) << m.error().message;
    monitor_ = m.value();
  }

  void poke(uint32_t gpa, const std::vector<uint8_t>& bytes) {
    for (size_t i = 0; i < bytes.size(); ++i) {
      monitor_->memory().write_phys8(gpa + static_cast<uint32_t>(i), bytes[i]);
    }
  }
  void poke32(uint32_t gpa, uint32_t v) { monitor_->memory().write_phys32(gpa, v); }
  uint32_t peek32(uint32_t gpa) { return monitor_->memory().read_phys32(gpa); }

  machine::RunResult run(uint32_t entry, std::vector<uint8_t> code) {
    code.insert(code.begin(), kStack.begin(), kStack.end());
    code.insert(code.end(), kExit.begin(), kExit.end());
    poke(entry, code);
    monitor_->start(entry, 0, 0);
    return vm_->run();
  }

  uint64_t count(vmm::EventKind k) const { return vm_->recorder().counters().count_of(k); }
  uint64_t cycles_of(vmm::EventKind k) const { return vm_->recorder().counters().cycles_of(k); }
  cpu::CpuState& state() { return vm_->machine().cpu().state(); }

  // A flat GDT (null, ring-0 code 0x08, ring-0 data 0x10, ring-3 code 0x1B, ring-3 data
  // 0x23, TSS 0x28) at 0x6000, a TSS at 0x6800 with SS0:ESP0 = 0x10:0x9000, an IDT at
  // 0x7000 (empty: the test fills gates), as if the guest had run LGDT, LIDT and LTR.
  void guest_tables() {
    auto seg = [](uint8_t access) {
      return uint64_t{0xFFFF} | uint64_t{access} << 40 | uint64_t{0xF} << 48 | uint64_t{0xC} << 52;
    };
    const uint64_t gdt[6] = {
        0,         seg(0x9A), seg(0x92),
        seg(0xFA), seg(0xF2), uint64_t{103} | uint64_t{0x6800} << 16 | uint64_t{0x89} << 40};
    for (int i = 0; i < 6; ++i) {
      poke32(0x6000 + 8 * i, static_cast<uint32_t>(gdt[i]));
      poke32(0x6004 + 8 * i, static_cast<uint32_t>(gdt[i] >> 32));
    }
    poke32(0x6804, 0x9000);
    poke32(0x6808, 0x10);
    auto& v = monitor_->vcpu();
    v.gdtr = {0x6000, 6 * 8 - 1};
    v.idtr = {0x7000, 256 * 8 - 1};
    v.tr = 0x28;
    v.tss_base = 0x6800;
    v.tss_limit = 103;
  }
  // An interrupt gate (DPL 0, selector 0x08) for `vector` to `handler`.
  void gate(uint8_t vector, uint32_t handler) {
    poke32(0x7000 + 8 * vector, (handler & 0xFFFF) | 0x08u << 16);
    poke32(0x7004 + 8 * vector, (handler & 0xFFFF0000u) | 0x8E00u);
  }

  std::unique_ptr<vmm::Vm> vm_;
  BtMonitor* monitor_ = nullptr;
};

}  // namespace vmlab::modes::bt
