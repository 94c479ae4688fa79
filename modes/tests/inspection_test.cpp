// Inspection without downcasts (engine/vmm/core/inspection.h) in every mode, on the guest OS
// stopped at its end: the guest's virtual CPU, the P2M, bounds-checked memory reads, the
// page walk of the guest's tables beside the hardware's, and the BT translation cache.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <vector>

#include "engine/vmm/core/vm.h"
#include "modes/registry.h"

namespace vmlab::modes {
namespace {

struct Variant {
  const char* name;
  vmm::ModeId mode;
  vmm::ModeOptions options;
  vmm::RealPaging paging;
  bool deprivileged;
};

std::vector<Variant> variants() {
  vmm::ModeOptions npt;
  npt.nested_paging = true;
  vmm::ModeOptions classic;
  classic.cpu = vmm::ModeOptions::Cpu::kClassic;
  return {{"native", vmm::ModeId::native, {}, vmm::RealPaging::kGuestTables, false},
          {"trap", vmm::ModeId::trap, {}, vmm::RealPaging::kShadow, false},
          {"trap_npt", vmm::ModeId::trap, npt, vmm::RealPaging::kNested, false},
          {"trap_classic", vmm::ModeId::trap, classic, vmm::RealPaging::kShadow, true},
          {"bt", vmm::ModeId::bt, {}, vmm::RealPaging::kShadow, true},
          {"pv", vmm::ModeId::pv, {}, vmm::RealPaging::kDirect, true}};
}

constexpr uint32_t kGuestMib = 32;

std::unique_ptr<vmm::Vm> run_guest(const Variant& v) {
  vmm::VmConfig config;
  config.mode = make(v.mode, v.options).value();
  config.machine.memory_mib = kGuestMib;
  config.machine.cmdline = "vmlab_guest run=ptemod iters=20";
  auto vm = vmm::Vm::create(std::move(config));
  EXPECT_TRUE(vm.ok()) << vm.error().message;
  EXPECT_TRUE(vm.value()->load_kernel(VMLAB_GUEST_KERNEL).ok());
  EXPECT_EQ(vm.value()->run().reason, machine::StopReason::kExitPort);
  return std::move(vm.value());
}

uint32_t le32(const std::array<uint8_t, 4>& b) {
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
}

TEST(InspectionTest, EveryModeShowsTheGuestsCpuMemoryAndTables) {
  uint32_t native_cr3 = 0;
  for (const Variant& v : variants()) {
    SCOPED_TRACE(v.name);
    auto vm = run_guest(v);
    EXPECT_EQ(vm->real_paging(), v.paging);

    // The virtual CPU.
    const vmm::GuestCpuView cpu = vm->guest_cpu();
    EXPECT_EQ(cpu.deprivileged, v.deprivileged);
    EXPECT_EQ(cpu.eip, vm->guest_eip());
    EXPECT_TRUE(cpu.cr0 & cpu::cr0::PG);
    if (v.deprivileged) {
      // The kernel runs in ring 1 and believes it is in ring 0.
      if (cpu.hardware.cpl == 1) {
        EXPECT_EQ(cpu.cpl, 0);
      }
    } else {
      EXPECT_EQ(cpu.cpl, cpu.hardware.cpl);
    }
    if (v.mode == vmm::ModeId::native) native_cr3 = cpu.cr3;
    if (v.paging == vmm::RealPaging::kShadow) {
      // The processor walks the shadow; the guest's CR3 is its own page directory, the
      // same guest-physical frame as natively.
      EXPECT_NE(cpu.cr3, cpu.hardware.cr3);
      EXPECT_EQ(cpu.cr3, native_cr3);
    } else if (v.paging == vmm::RealPaging::kNested) {
      EXPECT_EQ(cpu.cr3, cpu.hardware.cr3);
      EXPECT_EQ(cpu.cr3, native_cr3);
    }

    // The P2M: the identity natively, the guest's frames above the monitor's reserve else.
    const auto p2m = vm->p2m();
    ASSERT_EQ(p2m.size(), 1u);
    EXPECT_EQ(p2m[0].first_gfn, 0u);
    if (v.mode == vmm::ModeId::native) {
      EXPECT_EQ(p2m[0].first_mfn, 0u);
    } else {
      EXPECT_EQ(p2m[0].first_mfn, vm->mode_impl().reserve_mib() * 256);
      EXPECT_EQ(p2m[0].count, kGuestMib * 256);
    }

    // Memory reads stay inside what the Vm owns.
    const uint64_t machine_bytes = vm->machine().memory().size_bytes();
    std::array<uint8_t, 4> b{};
    EXPECT_TRUE(vm->read_machine(machine_bytes - 4, b));
    EXPECT_FALSE(vm->read_machine(machine_bytes - 2, b));
    EXPECT_FALSE(vm->read_machine(uint64_t{1} << 40, b));
    EXPECT_FALSE(vm->read_guest_physical(uint64_t{kGuestMib} << 20, b));
    EXPECT_FALSE(vm->read_guest_physical((uint64_t{kGuestMib} << 20) - 2, b));
    // Guest-physical and machine agree through the P2M.
    std::array<uint8_t, 4> m{};
    ASSERT_TRUE(vm->read_guest_physical(0x1000, b));
    ASSERT_TRUE(vm->read_machine(uint64_t{p2m[0].first_mfn} * 4096 + 0x1000, m));
    EXPECT_EQ(le32(b), le32(m));

    // The page walk: the kernel's high half.
    const auto rows = vm->page_walk(0xC0000000u, 4096);
    ASSERT_FALSE(rows.empty());
    EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end(),
                               [](const auto& a, const auto& c) { return a.linear < c.linear; }));
    const auto kernel = std::find_if(rows.begin(), rows.end(),
                                     [](const auto& r) { return r.linear == 0xC0100000u; });
    ASSERT_NE(kernel, rows.end());
    ASSERT_TRUE(kernel->guest_address.has_value());
    if (v.mode != vmm::ModeId::pv) {
      EXPECT_EQ(*kernel->guest_address, 0x00100000u);  // the kernel at 1 MiB guest-physical
    }
    size_t differs = 0, same_present = 0;
    for (const auto& r : rows) {
      if (r.differs) ++differs;
      if (!r.differs && r.machine_address) ++same_present;
      if (r.machine_address && !r.differs && r.guest_address && v.mode != vmm::ModeId::pv) {
        // Where the hardware agrees, it reaches the guest's frame through the P2M.
        EXPECT_EQ(*r.machine_address, *r.guest_address + p2m[0].first_mfn * 4096u);
      }
      if (v.mode == vmm::ModeId::pv) {
        EXPECT_EQ(r.machine_address, r.guest_address);
      }
    }
    EXPECT_GT(same_present, 0u);
    if (v.paging == vmm::RealPaging::kShadow) {
      // Shadow entries not yet filled, or write-protected guest page tables.
      EXPECT_GT(differs, 0u);
    } else {
      EXPECT_EQ(differs, 0u);
    }
    EXPECT_EQ(vm->page_walk(0xC0000000u, 4096, 3).size(), 3u);

    // The translation cache: bt only.
    const auto tc = vm->translations();
    if (v.mode == vmm::ModeId::bt) {
      ASSERT_GT(tc.size(), 10u);
      uint64_t callouts = 0;
      for (const auto& t : tc) {
        EXPECT_LT(t.tc_start, t.tc_end);
        EXPECT_GE(t.tc_start, 0xFC000000u);
        EXPECT_GT(t.guest_insns, 0u);
        EXPECT_GT(t.translated_insns, 0u);
        callouts += t.callouts;
      }
      EXPECT_GT(callouts, 0u);
      const auto detail = vm->translation(tc.front().guest_start);
      ASSERT_TRUE(detail.has_value());
      EXPECT_EQ(detail->fragment.index, tc.front().index);
      ASSERT_FALSE(detail->insns.empty());
      EXPECT_EQ(detail->insns.front().guest, tc.front().guest_start);
      EXPECT_FALSE(detail->insns.front().how.empty());
    } else {
      EXPECT_TRUE(tc.empty());
      EXPECT_FALSE(vm->translation(0xC0100000u).has_value());
    }
  }
}

TEST(InspectionTest, AStepShowsTheVirtualCpuMoving) {
  // Paused after each step, the view follows the guest: native's EIP is the processor's.
  auto mode = make(vmm::ModeId::native).value();
  vmm::VmConfig config;
  config.mode = std::move(mode);
  config.machine.memory_mib = kGuestMib;
  config.machine.cmdline = "vmlab_guest run=syscall iters=1";
  auto vm = vmm::Vm::create(std::move(config)).value();
  ASSERT_TRUE(vm->load_kernel(VMLAB_GUEST_KERNEL).ok());
  EXPECT_EQ(vm->guest_cpu().eip, 0x00100010u);
  ASSERT_EQ(vm->step(), vmm::VmState::kPaused);
  EXPECT_EQ(vm->guest_cpu().eip, 0x00100015u);
  EXPECT_FALSE(vm->guest_cpu().cr0 & cpu::cr0::PG);
  // Paging off: every page is linear = physical, the hardware walks nothing.
  const auto rows = vm->page_walk(0, 4);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(*rows[3].guest_address, 0x3000u);
  EXPECT_FALSE(rows[3].differs);
}

}  // namespace
}  // namespace vmlab::modes
