// NMI messages of the local APIC (SDM Vol. 3A, 10.6.1, ICR delivery mode 100b) and from the
// I/O APIC (delivery mode 100 of the 82093AA's redirection entries): each reaches the
// processor's NMI input once, whatever the vector field holds; other destinations and a
// globally disabled APIC reach nothing.
#include <gtest/gtest.h>

#include "engine/machine/local_apic.h"

namespace vmlab::machine {
namespace {

class LocalApicNmiTest : public ::testing::Test {
 protected:
  LocalApicNmiTest() : clock_(1000, [] { return uint64_t{0}; }), apic_(clock_, [] {}) {
    apic_.apply_firmware_state();
    apic_.set_nmi_listener([this] { ++nmis_; });
  }
  void icr(uint32_t high, uint32_t low) {
    apic_.write(LocalApic::kIcrHigh, high);
    apic_.write(LocalApic::kIcrLow, low);
  }
  int nmis_ = 0;
  ModeledClock clock_;
  LocalApic apic_;
};

TEST_F(LocalApicNmiTest, IcrNmiToThisProcessorIgnoresTheVector) {
  icr(0, 0x00040400);  // self, NMI, vector 0
  EXPECT_EQ(nmis_, 1);
  icr(0, 0x00080442);  // all including self, vector 0x42
  EXPECT_EQ(nmis_, 2);
  icr(0x00000000, 0x00000400);  // physical ID 0: this APIC
  EXPECT_EQ(nmis_, 3);
  icr(0x07000000, 0x00000400);  // physical ID 7: nobody
  icr(0, 0x000C0400);           // all excluding self: nobody
  EXPECT_EQ(nmis_, 3);
  // The vector is ignored: no "send illegal vector" error, nothing in the IRR.
  apic_.write(LocalApic::kEsr, 0);
  EXPECT_EQ(apic_.read(LocalApic::kEsr), 0u);
  EXPECT_FALSE(apic_.interrupt_pending());
}

TEST_F(LocalApicNmiTest, IoApicNmiMessagesReachTheInputUnlessGloballyDisabled) {
  apic_.receive(0, false, LocalApic::kModeNmi, 0, false);
  EXPECT_EQ(nmis_, 1);
  apic_.receive(3, false, LocalApic::kModeNmi, 0, false);  // another physical ID
  EXPECT_EQ(nmis_, 1);
  apic_.receive(0, false, 2, 0, false);  // SMI: nowhere
  EXPECT_EQ(nmis_, 1);
  ASSERT_TRUE(apic_.write_base_msr(LocalApic::kDefaultBase));  // globally disabled
  apic_.receive(0xFF, false, LocalApic::kModeNmi, 0, false);
  EXPECT_EQ(nmis_, 1);
}

}  // namespace
}  // namespace vmlab::machine
