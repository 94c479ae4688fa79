#include "engine/machine/machine_config.h"

#include <gtest/gtest.h>

#include "engine/machine/machine.h"

namespace vmlab::machine {
namespace {

// The largest guest is the same in every mode: a monitor's reserve comes on top of it,
// and a refusal names the guest's size, the one the user gave.
TEST(MachineConfigTest, AMonitorReserveComesOnTopOfTheLargestGuest) {
  MachineConfig c;
  c.memory_mib = PhysicalMemory::kMaxMib + 24;
  c.monitor_reserve_mib = 24;
  EXPECT_TRUE(c.validate().ok());
  c.memory_mib += 1;
  ASSERT_FALSE(c.validate().ok());
  EXPECT_EQ(c.validate().error().message,
            "memory size 3073 MiB is above the maximum of 3072 MiB (the top of the 4 GiB space "
            "is kept for devices and the monitor)");
  c.memory_mib = PhysicalMemory::kMaxMib + 65;
  c.monitor_reserve_mib = 65;
  ASSERT_FALSE(c.validate().ok());
  EXPECT_EQ(c.validate().error().message,
            "a monitor reserve of 65 MiB in a 3137 MiB machine is outside the supported 0-64 MiB");
  c.memory_mib = 8;
  c.monitor_reserve_mib = 8;
  EXPECT_FALSE(c.validate().ok());
}

TEST(MachineConfigTest, AMachineOfTheLargestGuestAndItsMonitorIsBuilt) {
  MachineConfig c;
  c.memory_mib = PhysicalMemory::kMaxMib + 16;
  c.monitor_reserve_mib = 16;
  auto m = Machine::create(std::move(c));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m.value()->memory().size_mib(), 3088u);
}

}  // namespace
}  // namespace vmlab::machine
