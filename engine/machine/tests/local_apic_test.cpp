// The local APIC at cpu_mhz = 1000, where one cycle is one tick of the APIC's 1 GHz timer
// clock: priorities and EOI, the software and global enables, the timer's exact expiry
// cycles, and fw_cfg. The QEMU-compared kernel tests/kernels/apic covers the rest.
#include <gtest/gtest.h>

#include "engine/machine/fw_cfg.h"
#include "engine/machine/local_apic.h"

namespace vmlab::machine {
namespace {

class LocalApicTest : public ::testing::Test {
 protected:
  LocalApicTest() : clock_(1000, [this] { return now_; }), apic_(clock_, [this] { ++changes_; }) {
    apic_.apply_firmware_state();
  }
  void at(uint64_t cycle) {
    now_ = cycle;
    apic_.advance_to(cycle);
  }
  void self_ipi(uint8_t vector) { apic_.write(LocalApic::kIcrLow, 0x00040000u | vector); }

  uint64_t now_ = 0;
  int changes_ = 0;
  ModeledClock clock_;
  LocalApic apic_;
};

TEST_F(LocalApicTest, PowerUpAndFirmwareState) {
  EXPECT_EQ(apic_.base_msr(), 0xFEE00900u);  // base, BSP, enabled
  EXPECT_EQ(apic_.read(LocalApic::kVersion), 0x00050014u);
  EXPECT_EQ(apic_.read(LocalApic::kDfr), 0xFFFFFFFFu);
  EXPECT_EQ(apic_.read(LocalApic::kSvr), 0x1FFu);  // SeaBIOS enabled it
  EXPECT_EQ(apic_.read(LocalApic::kLvtLint0), 0x8700u);
  EXPECT_EQ(apic_.read(LocalApic::kLvtTimer), 0x10000u);
  EXPECT_TRUE(apic_.passes_pic());
  EXPECT_TRUE(apic_.decodes(0xFEE00030));
  EXPECT_FALSE(apic_.decodes(0xFEE01000));
}

TEST_F(LocalApicTest, PriorityClassesTheTprAndEoi) {
  self_ipi(0x61);
  self_ipi(0x35);
  EXPECT_TRUE(apic_.interrupt_pending());
  EXPECT_EQ(apic_.acknowledge(), 0x61);  // highest first
  // 0x35 (class 3) waits while 0x61 (class 6) is in service: the PPR is 0x60.
  EXPECT_EQ(apic_.read(LocalApic::kPpr), 0x60u);
  EXPECT_FALSE(apic_.interrupt_pending());
  self_ipi(0x71);  // a higher class preempts
  EXPECT_EQ(apic_.acknowledge(), 0x71);
  apic_.write(LocalApic::kEoi, 0);  // retires 0x71, the highest in service
  apic_.write(LocalApic::kEoi, 0);  // then 0x61
  EXPECT_EQ(apic_.read(LocalApic::kPpr), 0u);
  apic_.write(LocalApic::kTpr, 0x40);  // class 4 holds 0x35 back
  EXPECT_FALSE(apic_.interrupt_pending());
  EXPECT_EQ(apic_.acknowledge(), 0xFF);  // nothing: the spurious vector
  EXPECT_EQ(apic_.read(LocalApic::kIrr + 0x10), 1u << (0x35 - 32));
  apic_.write(LocalApic::kTpr, 0x20);
  EXPECT_EQ(apic_.acknowledge(), 0x35);
  EXPECT_EQ(apic_.read(LocalApic::kIsr + 0x10), 1u << (0x35 - 32));
}

TEST_F(LocalApicTest, IllegalVectorsAreReportedInTheEsr) {
  self_ipi(5);  // vectors 0-15 are illegal: "send illegal vector" (SDM 10.5.3)
  EXPECT_FALSE(apic_.interrupt_pending());
  EXPECT_EQ(apic_.read(LocalApic::kEsr), 0u);  // the ESR shows errors after a write
  apic_.write(LocalApic::kEsr, 0);
  EXPECT_EQ(apic_.read(LocalApic::kEsr), 1u << 5);
  apic_.write(LocalApic::kEsr, 0);
  EXPECT_EQ(apic_.read(LocalApic::kEsr), 0u);
}

TEST_F(LocalApicTest, DestinationsOtherThanThisProcessorGoNowhere) {
  apic_.write(LocalApic::kIcrHigh, 3u << 24);
  apic_.write(LocalApic::kIcrLow, 0x50);        // physical destination 3: nobody
  apic_.write(LocalApic::kIcrLow, 0x000C0051);  // all excluding self
  EXPECT_FALSE(apic_.interrupt_pending());
  apic_.write(LocalApic::kLdr, 0x02000000);  // logical ID bit 1, flat model
  apic_.write(LocalApic::kIcrHigh, 0x06000000);
  apic_.write(LocalApic::kIcrLow, 0x852);  // logical destination 0x06 includes bit 1
  EXPECT_EQ(apic_.acknowledge(), 0x52);
}

TEST_F(LocalApicTest, SoftwareDisableMasksEveryLvtEntryAndStopsDelivery) {
  // SDM Vol. 3A 10.4.7.2 (QEMU departs here: it leaves the entries as they were).
  apic_.write(LocalApic::kSvr, 0xFF);
  EXPECT_EQ(apic_.read(LocalApic::kLvtLint0), 0x18700u);
  EXPECT_FALSE(apic_.passes_pic());
  apic_.write(LocalApic::kLvtLint0, 0x700);  // the mask stays
  EXPECT_EQ(apic_.read(LocalApic::kLvtLint0), 0x10700u);
  self_ipi(0x40);
  EXPECT_FALSE(apic_.interrupt_pending());
  apic_.write(LocalApic::kSvr, 0x1FF);  // enabled again: the held IRR bit is delivered
  EXPECT_EQ(apic_.acknowledge(), 0x40);
}

TEST_F(LocalApicTest, GlobalDisableHidesThePageAndWiresThePicStraight) {
  EXPECT_FALSE(apic_.write_base_msr(0xFEE00800u | 1));        // reserved bit 0
  EXPECT_FALSE(apic_.write_base_msr(0xFEE00800u | 1 << 10));  // x2APIC is not offered
  EXPECT_FALSE(apic_.write_base_msr(uint64_t{1} << 32 | 0xFEE00800u));
  apic_.write(LocalApic::kSvr, 0xFF);  // LINT0 masked...
  EXPECT_TRUE(apic_.write_base_msr(0xFEE00000u));
  EXPECT_FALSE(apic_.globally_enabled());
  EXPECT_EQ(apic_.base_msr(), 0xFEE00100u);  // the BSP flag is read-only
  EXPECT_FALSE(apic_.decodes(0xFEE00030));
  EXPECT_TRUE(apic_.passes_pic());                 // ...yet the PIC reaches INTR directly
  EXPECT_TRUE(apic_.write_base_msr(0xFED00800u));  // enabled again, at another base
  EXPECT_TRUE(apic_.decodes(0xFED00030));
  EXPECT_FALSE(apic_.decodes(0xFEE00030));
}

TEST_F(LocalApicTest, PeriodicTimerExpiresAtExactCycles) {
  apic_.write(LocalApic::kTimerDivide, 0x1);   // divide by 4
  apic_.write(LocalApic::kLvtTimer, 0x20040);  // periodic, vector 0x40
  at(100);
  apic_.write(LocalApic::kTimerInitial, 250);  // a period of 1000 ticks = 1000 cycles
  EXPECT_EQ(apic_.next_event_cycle(), 1100u);
  at(600);
  EXPECT_EQ(apic_.read(LocalApic::kTimerCurrent), 250u - 500 / 4);
  at(1099);
  EXPECT_FALSE(apic_.interrupt_pending());
  at(1100);
  EXPECT_EQ(apic_.acknowledge(), 0x40);
  apic_.write(LocalApic::kEoi, 0);
  EXPECT_EQ(apic_.next_event_cycle(), 2100u);
  EXPECT_EQ(apic_.read(LocalApic::kTimerCurrent), 250u);  // reloaded
  // An idle skip over many periods leaves one interrupt pending (one IRR bit).
  at(10'500);
  EXPECT_EQ(apic_.acknowledge(), 0x40);
  EXPECT_FALSE(apic_.interrupt_pending());
  EXPECT_EQ(apic_.next_event_cycle(), 11'100u);
  // Masked, it counts on without interrupting; the machine need not stop for it.
  apic_.write(LocalApic::kLvtTimer, 0x30040);
  EXPECT_EQ(apic_.next_event_cycle(), LocalApic::kNever);
}

TEST_F(LocalApicTest, OneShotTimerStopsAtZeroAndDivideChangesKeepTheCount) {
  apic_.write(LocalApic::kTimerDivide, 0xB);  // divide by 1
  apic_.write(LocalApic::kLvtTimer, 0x41);    // one-shot
  apic_.write(LocalApic::kTimerInitial, 1000);
  at(400);
  EXPECT_EQ(apic_.read(LocalApic::kTimerCurrent), 600u);
  apic_.write(LocalApic::kTimerDivide, 0x0);  // divide by 2: 600 counts left, 1200 ticks
  EXPECT_EQ(apic_.read(LocalApic::kTimerCurrent), 600u);
  EXPECT_EQ(apic_.next_event_cycle(), 1600u);
  at(1600);
  EXPECT_EQ(apic_.acknowledge(), 0x41);
  EXPECT_EQ(apic_.read(LocalApic::kTimerCurrent), 0u);
  EXPECT_EQ(apic_.next_event_cycle(), LocalApic::kNever);
  apic_.write(LocalApic::kTimerInitial, 0);  // 0 stops it
  EXPECT_EQ(apic_.next_event_cycle(), LocalApic::kNever);
}

TEST(FwCfgTest, ItemsAreReadByteByByte) {
  FwCfg fw(128u << 20);
  fw.io_write(0, 2, FwCfg::kSignature);
  std::string sig;
  for (int i = 0; i < 4; ++i) sig += static_cast<char>(fw.io_read(1, 1));
  EXPECT_EQ(sig, "QEMU");
  EXPECT_EQ(fw.io_read(1, 1), 0u);  // past the end
  fw.io_write(0, 2, FwCfg::kRamSize);
  EXPECT_EQ(fw.io_read(1, 4), 128u << 20);  // a wider read takes that many bytes
  EXPECT_EQ(fw.io_read(1, 4), 0u);
  fw.io_write(0, 2, FwCfg::kNbCpus);
  EXPECT_EQ(fw.io_read(1, 1) | fw.io_read(1, 1) << 8, 1u);
  fw.io_write(0, 2, FwCfg::kId);
  EXPECT_EQ(fw.io_read(1, 4), 1u);  // the traditional interface, no DMA
  fw.io_write(0, 2, 0x1234);        // no such item
  EXPECT_EQ(fw.io_read(1, 1), 0u);
}

}  // namespace
}  // namespace vmlab::machine

namespace vmlab::machine {
namespace {

// SDM Vol. 3A, 10.5.3: ESR bit 7, "Illegal Register Address", for an access to a reserved
// offset of table 10-1 (latched by the next ESR write, like the other errors); reserved
// registers read 0 and ignore writes.
TEST_F(LocalApicTest, ReservedRegistersReadZeroAndReportAnIllegalRegisterAddress) {
  apic_.write(LocalApic::kEsr, 0);
  EXPECT_EQ(apic_.read(LocalApic::kEsr), 0u);
  for (uint32_t offset : {0x00u, 0x10u, 0x40u, 0x70u, 0x290u, 0x2E0u, 0x3A0u, 0x3F0u, 0xFF0u}) {
    EXPECT_EQ(apic_.read(offset), 0u) << offset;
    apic_.write(LocalApic::kEsr, 0);
    EXPECT_EQ(apic_.read(LocalApic::kEsr), 1u << 7) << offset;
    apic_.write(offset, 0xFFFFFFFFu);
    apic_.write(LocalApic::kEsr, 0);
    EXPECT_EQ(apic_.read(LocalApic::kEsr), 1u << 7) << offset;
    apic_.write(LocalApic::kEsr, 0);
    EXPECT_EQ(apic_.read(LocalApic::kEsr), 0u) << offset;
  }
  // Defined registers, read-only ones included, are no error.
  apic_.read(LocalApic::kVersion);
  apic_.write(LocalApic::kVersion, 0);
  apic_.read(LocalApic::kPpr);
  apic_.write(LocalApic::kEsr, 0);
  EXPECT_EQ(apic_.read(LocalApic::kEsr), 0u);
}

}  // namespace
}  // namespace vmlab::machine
