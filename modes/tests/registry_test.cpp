// The registry makes every implemented mode and refuses the rest with ENOSYS, and
// options that do not fit a mode with EINVAL.
#include "modes/registry.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "engine/vmm/core/vm.h"

namespace vmlab::modes {
namespace {

TEST(RegistryTest, ImplementedModesAreMadeWithTheirId) {
  for (vmm::ModeId m : {vmm::ModeId::native, vmm::ModeId::trap, vmm::ModeId::bt, vmm::ModeId::pv,
                        vmm::ModeId::kvm}) {
    auto made = make(m);
    if (implemented(m)) {
      ASSERT_TRUE(made.ok()) << made.error().message;
      EXPECT_EQ(made.value()->id(), m);
      EXPECT_FALSE(made.value()->describe().empty());
    } else {
      ASSERT_FALSE(made.ok());
      EXPECT_EQ(made.error().code, ENOSYS);
      EXPECT_NE(made.error().message.find(vmm::mode_name(m)), std::string::npos);
    }
  }
}

TEST(RegistryTest, EveryModeButPvGivesTheGuestALocalApic) {
  // Native has the hardware's; trap and bt virtualize it (engine/vmm/kit/guest_apic.h); the
  // paravirtual guest has none, its timer is an event channel.
  for (vmm::ModeId m : {vmm::ModeId::native, vmm::ModeId::trap, vmm::ModeId::bt, vmm::ModeId::pv}) {
    vmm::VmConfig config;
    config.machine.memory_mib = 16;
    config.mode = make(m).value();
    auto vm = vmm::Vm::create(std::move(config));
    ASSERT_TRUE(vm.ok()) << vm.error().message;
    EXPECT_EQ(vm.value()->machine().local_apic_enabled(), m != vmm::ModeId::pv)
        << vmm::mode_name(m);
    const auto cpuid1 = vm.value()->machine().cpu().cpuid(1);
    EXPECT_EQ((cpuid1[3] >> 9) & 1, m != vmm::ModeId::pv ? 1u : 0u) << vmm::mode_name(m);
  }
}

TEST(RegistryTest, TheCmosReportsTheGuestsRamNotTheMonitorsReserve) {
  // CMOS 0x30/0x31: extended memory in KiB above 1 MiB. A 16 MiB guest sees 15 MiB in every
  // mode, however much the monitor keeps below it.
  for (vmm::ModeId m : {vmm::ModeId::native, vmm::ModeId::trap, vmm::ModeId::bt, vmm::ModeId::pv}) {
    vmm::VmConfig config;
    config.machine.memory_mib = 16;
    config.mode = make(m).value();
    auto vm = vmm::Vm::create(std::move(config));
    ASSERT_TRUE(vm.ok()) << vm.error().message;
    auto& io = vm.value()->machine().io_bus();
    auto cmos = [&](uint8_t index) {
      io.write(0x70, 1, index);
      return io.read(0x71, 1);
    };
    EXPECT_EQ(cmos(0x30) | cmos(0x31) << 8, 15u * 1024) << vmm::mode_name(m);
  }
}

TEST(RegistryTest, NativeHasNoCpuVariants) {
  vmm::ModeOptions o;
  o.nested_paging = true;
  auto made = make(vmm::ModeId::native, o);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().code, EINVAL);
}

}  // namespace
}  // namespace vmlab::modes
