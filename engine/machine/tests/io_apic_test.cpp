// The I/O APIC (io_apic.h): its registers as QEMU 7.2's read back, edge and level pins,
// remote IRR and the EOI broadcast (from the local APIC and the EOI register), ExtINT, the
// local APIC's side (receive, TMR, EOI listener), hostile accesses and saved state. The
// QEMU-compared kernel tests/kernels/ioapic covers the same through a guest.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "engine/machine/io_apic.h"
#include "engine/machine/local_apic.h"

namespace vmlab::machine {
namespace {

class IoApicTest : public ::testing::Test {
 protected:
  IoApicTest()
      : io_([this](const IoApic::Message& m) { sent_.push_back(m); },
            [this] {
              ++extint_acks_;
              return uint8_t{0x30};
            }) {}
  uint32_t reg(uint8_t r) {
    io_.write(IoApic::kRegSel, 4, r);
    return io_.read(IoApic::kWindow, 4);
  }
  void set_reg(uint8_t r, uint32_t v) {
    io_.write(IoApic::kRegSel, 4, r);
    io_.write(IoApic::kWindow, 4, v);
  }
  void route(unsigned pin, uint32_t low, uint32_t high = 0) {
    set_reg(static_cast<uint8_t>(0x11 + 2 * pin), high);
    set_reg(static_cast<uint8_t>(0x10 + 2 * pin), low);
  }

  std::vector<IoApic::Message> sent_;
  int extint_acks_ = 0;
  IoApic io_;
};

TEST_F(IoApicTest, ResetValuesAsQemuReportsThem) {
  EXPECT_EQ(reg(IoApic::kRegId), 0u);
  EXPECT_EQ(reg(IoApic::kRegVer), 0x00170020u);  // version 0x20, entries 0-23
  EXPECT_EQ(reg(IoApic::kRegArb), 0u);
  for (unsigned pin = 0; pin < IoApic::kPins; ++pin) {
    EXPECT_EQ(reg(static_cast<uint8_t>(0x10 + 2 * pin)), 0x10000u) << pin;
    EXPECT_EQ(reg(static_cast<uint8_t>(0x11 + 2 * pin)), 0u) << pin;
  }
  EXPECT_EQ(reg(0x40), 0u);  // past entry 23
  EXPECT_EQ(io_.read(IoApic::kRegSel, 4), 0x40u);
}

TEST_F(IoApicTest, IdIsFourBitsArbFollowsAndVersionIsReadOnly) {
  set_reg(IoApic::kRegId, 0xFFFFFFFFu);
  EXPECT_EQ(reg(IoApic::kRegId), 0x0F000000u);
  EXPECT_EQ(reg(IoApic::kRegArb), 0x0F000000u);
  set_reg(IoApic::kRegVer, 0);
  set_reg(IoApic::kRegArb, 0);
  EXPECT_EQ(reg(IoApic::kRegVer), 0x00170020u);
  EXPECT_EQ(reg(IoApic::kRegArb), 0x0F000000u);
}

TEST_F(IoApicTest, EntriesKeepEverythingButTheReadOnlyBits) {
  // Delivery status (12) and remote IRR (14) cannot be written; reserved bits are kept, as
  // QEMU keeps them.
  route(5, 0xFFFFFFFFu, 0xFFFFFFFFu);
  EXPECT_EQ(reg(0x10 + 10), 0xFFFFAFFFu);
  EXPECT_EQ(reg(0x11 + 10), 0xFFFFFFFFu);
  EXPECT_TRUE(sent_.empty());  // masked
}

TEST_F(IoApicTest, Irq0ReachesPin2AndEdgesDeliverOnlyUnmasked) {
  EXPECT_EQ(IoApic::pin_of_isa_irq(0), 2u);
  EXPECT_EQ(IoApic::pin_of_isa_irq(14), 14u);
  io_.set_irq(2, true);  // masked: ignored
  io_.set_irq(2, false);
  route(2, 0x42, 0x00000000);  // fixed, physical 0, edge, unmasked
  EXPECT_TRUE(sent_.empty());  // the edge came while masked
  io_.set_irq(2, true);
  io_.set_irq(2, true);  // no new edge
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].vector, 0x42);
  EXPECT_FALSE(sent_[0].level);
  EXPECT_FALSE(sent_[0].logical);
  EXPECT_EQ(sent_[0].destination, 0);
  io_.set_irq(2, false);
  io_.set_irq(2, true);
  EXPECT_EQ(sent_.size(), 2u);
  EXPECT_EQ(io_.irr(), 0u);
}

TEST_F(IoApicTest, LevelPinsHoldRemoteIrrUntilTheEoiBroadcast) {
  route(4, 0xA044, 0xFF000000u);  // level, polarity low (kept, not applied), vector 0x44
  io_.set_irq(4, true);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_TRUE(sent_[0].level);
  EXPECT_EQ(sent_[0].destination, 0xFF);
  EXPECT_EQ(reg(0x18), 0xE044u);  // remote IRR set
  io_.set_irq(4, false);
  io_.set_irq(4, true);
  EXPECT_EQ(sent_.size(), 1u);  // held by the remote IRR
  io_.eoi_broadcast(0x45);      // another vector: nothing
  EXPECT_EQ(reg(0x18), 0xE044u);
  io_.eoi_broadcast(0x44);  // the line is still high: delivered again
  EXPECT_EQ(sent_.size(), 2u);
  EXPECT_EQ(reg(0x18), 0xE044u);
  io_.set_irq(4, false);
  io_.write(IoApic::kEoi, 4, 0x44);  // QEMU's version-0x20 EOI register
  EXPECT_EQ(reg(0x18), 0xA044u);
  EXPECT_EQ(sent_.size(), 2u);
  io_.write(IoApic::kEoi, 2, 0x44);  // only 32-bit writes
}

TEST_F(IoApicTest, UnmaskingAPendingLevelDeliversAndEdgeClearsRemoteIrr) {
  route(9, 0x18050);  // masked, level
  io_.set_irq(9, true);
  EXPECT_TRUE(sent_.empty());
  EXPECT_FALSE(io_.can_deliver(9));
  route(9, 0x8050);  // unmasked: the pending level goes out
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_FALSE(io_.can_deliver(9));  // remote IRR
  route(9, 0x0050);                  // edge: remote IRR cleared (QEMU's fix for Linux)
  EXPECT_EQ(reg(0x10 + 18), 0x0050u);
  EXPECT_TRUE(io_.can_deliver(9));
}

TEST_F(IoApicTest, ExtIntTakesThePicsVectorAndLogicalDestinationsPass) {
  route(0, 0x0700 | 0x0800, 0x01000000u);  // ExtINT, logical destination 1
  io_.set_irq(0, true);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(extint_acks_, 1);
  EXPECT_EQ(sent_[0].vector, 0x30);
  EXPECT_EQ(sent_[0].mode, 7u);
  EXPECT_TRUE(sent_[0].logical);
  EXPECT_EQ(sent_[0].destination, 1);
}

TEST_F(IoApicTest, HostileAccessesNeverLeaveRange) {
  // Every IOREGSEL value, narrow and unaligned accesses, random writes everywhere.
  for (unsigned sel = 0; sel < 256; ++sel) {
    io_.write(IoApic::kRegSel, 4, 0xABCD0000u | sel);
    EXPECT_EQ(io_.read(IoApic::kRegSel, 4), sel);
    (void)io_.read(IoApic::kWindow, 4);
    io_.write(IoApic::kWindow, 2, 0xFFFF);  // narrow: dropped
  }
  EXPECT_EQ(reg(0x10), 0x10000u);
  io_.write(IoApic::kRegSel, 1, 0x01);
  EXPECT_EQ(io_.read(IoApic::kWindow, 2), 0u);  // narrow reads of IOWIN give 0, as QEMU
  // Unaligned, as QEMU's TCG: two aligned loads combined, stores byte by byte.
  EXPECT_EQ(io_.read(IoApic::kWindow + 2, 4), 0x17u);  // VER's bytes 2-3, then 0x14's
  EXPECT_EQ(io_.read(IoApic::kWindow + 1, 2), 0u);     // two 16-bit IOWIN reads: 0
  io_.write(0xFFD, 4, 0x05060708);                     // bytes at 0xFFD-0xFFF, then 0x000
  EXPECT_EQ(io_.read(IoApic::kRegSel, 1), 0x05u);
  EXPECT_EQ(io_.read(0xFFE, 4), 0x0005u << 16);  // wraps within the page
  io_.write(IoApic::kRegSel, 1, 0x01);
  EXPECT_EQ(io_.read(IoApic::kRegSel + 0x100, 1), 0x01u);  // the registers repeat
  std::mt19937 rng(12);
  for (int i = 0; i < 20000; ++i) {
    const uint32_t offset = rng() & 0xFFF;
    const unsigned size = 1u << (rng() % 3);
    io_.write(offset, size, rng());
    (void)io_.read(rng() & 0xFFF, 1u << (rng() % 3));
    io_.set_irq(rng() % 40, rng() & 1);
    io_.eoi_broadcast(static_cast<uint8_t>(rng()));
  }
  EXPECT_LE(io_.id(), 0xF);
  EXPECT_EQ(io_.irr() >> IoApic::kPins, 0u);
  for (unsigned pin = 0; pin < IoApic::kPins; ++pin) {
    const uint64_t e = io_.entry(pin);
    EXPECT_EQ(e & IoApic::kDeliveryStatus, 0u);
    if (!(e & IoApic::kLevelTriggered)) {
      EXPECT_EQ(e & IoApic::kRemoteIrr, 0u);
    }
  }
  // What survived saves and loads back exactly.
  cpu::ByteWriter w;
  io_.save(w);
  IoApic copy([](const IoApic::Message&) {}, [] { return uint8_t{0}; });
  cpu::ByteReader r(w.data());
  copy.load(r);
  ASSERT_FALSE(r.failed());
  for (unsigned pin = 0; pin < IoApic::kPins; ++pin) EXPECT_EQ(copy.entry(pin), io_.entry(pin));
  EXPECT_EQ(copy.irr(), io_.irr());
}

TEST_F(IoApicTest, LoadRejectsStatesNoGuestCanMake) {
  auto load = [](uint8_t id, uint32_t irr, uint64_t entry) {
    cpu::ByteWriter w;
    w.u8(id);
    w.u8(0);
    w.u32(irr);
    w.u32(0);
    for (unsigned pin = 0; pin < IoApic::kPins; ++pin) w.u64(pin == 3 ? entry : 0x10000);
    IoApic io([](const IoApic::Message&) {}, [] { return uint8_t{0}; });
    cpu::ByteReader r(w.data());
    io.load(r);
    return !r.failed();
  };
  EXPECT_TRUE(load(0xF, 0xFFFFFF, 0xFFFFFFFFFFFFAFFFull));
  EXPECT_FALSE(load(0x10, 0, 0x10000));      // a 5-bit ID
  EXPECT_FALSE(load(0, 1u << 24, 0x10000));  // a 25th pin
  EXPECT_FALSE(load(0, 0, 0x11000));         // delivery status
  EXPECT_FALSE(load(0, 0, 0x14000));         // remote IRR on an edge entry
  EXPECT_TRUE(load(0, 0, 0x1C000));          // ... which a level entry may have
  cpu::ByteWriter shortw;
  shortw.u8(0);
  IoApic io([](const IoApic::Message&) {}, [] { return uint8_t{0}; });
  cpu::ByteReader r(shortw.data());
  io.load(r);
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(io.entry(0), IoApic::kMasked);  // a failed load leaves the reset state
}

// The local APIC's side: messages, the TMR, and the EOI broadcast reaching the I/O APIC.
TEST(IoApicWithLocalApic, LevelInterruptRoundTrip) {
  uint64_t now = 0;
  ModeledClock clock(1000, [&] { return now; });
  LocalApic apic(clock, [] {});
  apic.apply_firmware_state();
  IoApic io(
      [&](const IoApic::Message& m) {
        apic.receive(m.destination, m.logical, m.mode, m.vector, m.level);
      },
      [] { return uint8_t{0}; });
  apic.set_eoi_listener([&](uint8_t v) { io.eoi_broadcast(v); });
  io.write(IoApic::kRegSel, 4, 0x10 + 2 * 4);
  io.write(IoApic::kWindow, 4, 0x8050);  // level, vector 0x50, physical 0
  io.set_irq(4, true);
  EXPECT_EQ(apic.read(LocalApic::kTmr + 0x20), 1u << 16);  // vector 0x50: TMR set
  EXPECT_EQ(apic.acknowledge(), 0x50);
  apic.write(LocalApic::kEoi, 0);  // the line is high: again
  EXPECT_TRUE(apic.interrupt_pending());
  EXPECT_EQ(apic.acknowledge(), 0x50);
  io.set_irq(4, false);
  apic.write(LocalApic::kEoi, 0);
  EXPECT_FALSE(apic.interrupt_pending());
  EXPECT_EQ(io.entry(4) & IoApic::kRemoteIrr, 0u);
  // Another physical ID, NMI, and a logical destination the LDR does not match go nowhere.
  apic.receive(1, false, 0, 0x60, false);
  apic.receive(0, false, 4, 0x60, false);
  apic.receive(0x01, true, 0, 0x60, false);  // LDR 0
  EXPECT_FALSE(apic.interrupt_pending());
  apic.write(LocalApic::kLdr, 0x01000000u);
  apic.receive(0x01, true, 1, 0x60, false);  // lowest priority, flat logical
  EXPECT_EQ(apic.acknowledge(), 0x60);
  EXPECT_EQ(apic.read(LocalApic::kTmr + 0x30), 0u);
}

}  // namespace
}  // namespace vmlab::machine
