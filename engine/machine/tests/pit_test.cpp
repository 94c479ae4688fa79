// The 8254 in modeled time at cpu_mhz = 1000: one PIT tick is 1e9 / 1193182 cycles
// (838.0965...), and tick t begins at cycle ceil(t * 1e9 / 1193182).
#include <gtest/gtest.h>

#include <vector>

#include "engine/machine/pit8254.h"
#include "engine/machine/system_control_port_b.h"

namespace vmlab::machine {
namespace {

class PitTest : public ::testing::Test {
 protected:
  PitTest()
      : clock_(1000, [this] { return now_; }),
        pit_(clock_, [this](bool level) { levels_.push_back(level); }) {}

  void program(uint8_t control, uint16_t count, unsigned counter = 0) {
    pit_.io_write(Pit8254::kControlOffset, 1, control);
    pit_.io_write(static_cast<uint16_t>(counter), 1, count & 0xFF);
    pit_.io_write(static_cast<uint16_t>(counter), 1, count >> 8);
  }
  uint16_t latch_and_read(unsigned counter) {
    pit_.io_write(Pit8254::kControlOffset, 1, static_cast<uint8_t>(counter << 6));  // latch
    const uint32_t lo = pit_.io_read(static_cast<uint16_t>(counter), 1);
    const uint32_t hi = pit_.io_read(static_cast<uint16_t>(counter), 1);
    return static_cast<uint16_t>(hi << 8 | lo);
  }
  // Advances to `cycle` and returns the number of IRQ0 rising edges seen.
  int advance(uint64_t cycle) {
    now_ = cycle;
    const uint64_t before = pit_.irq0_edges();
    pit_.advance_to(cycle);
    return static_cast<int>(pit_.irq0_edges() - before);
  }

  uint64_t now_ = 0;
  ModeledClock clock_;
  Pit8254 pit_;
  std::vector<bool> levels_;
};

TEST(ModeledClockTest, ExactIntegerConversions) {
  ModeledClock clock(1000, [] { return uint64_t{0}; });
  EXPECT_EQ(clock.ticks_at(1'000'000, Pit8254::kHz), 1193u);
  EXPECT_EQ(clock.cycle_of_tick(1, Pit8254::kHz), 839u);
  EXPECT_EQ(clock.cycle_of_tick(1001, Pit8254::kHz), 838'934u);
  // One modeled hour: exactly 3600 * 1193182 ticks, no drift.
  EXPECT_EQ(clock.ticks_at(3'600'000'000'000ull, Pit8254::kHz), 3600ull * 1193182);
  for (uint64_t t : {1ull, 7ull, 65536ull, 1193182ull, 123456789ull}) {
    const uint64_t c = clock.cycle_of_tick(t, Pit8254::kHz);
    EXPECT_EQ(clock.ticks_at(c, Pit8254::kHz), t);
    EXPECT_EQ(clock.ticks_at(c - 1, Pit8254::kHz), t - 1);
  }
}

TEST_F(PitTest, Mode2PeriodicEdgesAtExactCycles) {
  program(0x34, 1000);  // counter 0, LSB/MSB, mode 2, binary
  // Loaded at tick 1, so the edges are at ticks 1001, 2001, 3001.
  EXPECT_EQ(pit_.next_event_cycle(), 838'934u);
  EXPECT_EQ(advance(838'933), 0);
  EXPECT_EQ(advance(838'934), 1);
  EXPECT_EQ(pit_.next_event_cycle(), 1'677'029u);
  EXPECT_EQ(advance(1'677'029), 1);
  EXPECT_EQ(pit_.next_event_cycle(), 2'515'124u);
  // Overshooting two edges at once still raises one request.
  EXPECT_EQ(advance(5'000'000), 1);
}

TEST_F(PitTest, Mode3SquareWaveHalfPeriods) {
  program(0x36, 100);                           // mode 3
  EXPECT_EQ(pit_.next_event_cycle(), 84'648u);  // tick 101
  EXPECT_TRUE(pit_.out(0));
  now_ = clock_.cycle_of_tick(50, Pit8254::kHz);  // k = 49: still the high half
  EXPECT_TRUE(pit_.out(0));
  now_ = clock_.cycle_of_tick(51, Pit8254::kHz);  // k = 50: the low half
  EXPECT_FALSE(pit_.out(0));
  EXPECT_EQ(advance(84'648), 1);
  EXPECT_TRUE(pit_.out(0));
  EXPECT_EQ(pit_.next_event_cycle(), 168'458u);  // tick 201
}

TEST_F(PitTest, Mode0OneShotGoesHighAfterNPlusOneTicks) {
  program(0x30, 10);          // mode 0
  EXPECT_FALSE(pit_.out(0));  // low from the control word on
  const uint64_t edge = clock_.cycle_of_tick(11, Pit8254::kHz);
  EXPECT_EQ(pit_.next_event_cycle(), edge);
  EXPECT_EQ(advance(edge), 1);
  EXPECT_TRUE(pit_.out(0));
  ASSERT_FALSE(levels_.empty());
  EXPECT_TRUE(levels_.back());  // IRQ 0 left high
  EXPECT_EQ(pit_.next_event_cycle(), Pit8254::kNever);
}

TEST_F(PitTest, LatchedCountReadsDownFromN) {
  program(0x34, 1000);
  now_ = clock_.cycle_of_tick(101, Pit8254::kHz);  // 100 ticks after the load
  EXPECT_EQ(latch_and_read(0), 900);
  // The latch holds while time moves on, until it is read.
  pit_.io_write(Pit8254::kControlOffset, 1, 0x00);
  now_ = clock_.cycle_of_tick(301, Pit8254::kHz);
  EXPECT_EQ(pit_.io_read(0, 1), 900u & 0xFF);
  EXPECT_EQ(pit_.io_read(0, 1), 900u >> 8);
  EXPECT_EQ(latch_and_read(0), 700);
}

TEST_F(PitTest, ReadBackStatus) {
  program(0x34, 1000);
  pit_.io_write(Pit8254::kControlOffset, 1, 0xE2);  // read-back, status only, counter 0
  // OUT high, count loaded, RW = 11, mode 2, binary.
  EXPECT_EQ(pit_.io_read(0, 1), 0xB4u);
}

TEST_F(PitTest, Counter2GatedByPort61WithOutOnBit5) {
  SystemControlPortB port_b(pit_);
  now_ = 1'000'000;  // tick 1193
  port_b.io_write(0, 1, SystemControlPortB::kGate2);
  program(0xB0, 100, 2);  // counter 2, mode 0: OUT2 rises 101 ticks after the write
  EXPECT_EQ(port_b.io_read(0, 1) & SystemControlPortB::kOut2, 0u);
  now_ = clock_.cycle_of_tick(1193 + 100, Pit8254::kHz);
  EXPECT_EQ(port_b.io_read(0, 1) & SystemControlPortB::kOut2, 0u);
  now_ = clock_.cycle_of_tick(1193 + 101, Pit8254::kHz);
  EXPECT_EQ(port_b.io_read(0, 1) & SystemControlPortB::kOut2, SystemControlPortB::kOut2);
  EXPECT_EQ(port_b.io_read(0, 1) & 0x0F, SystemControlPortB::kGate2);
  // Counter 2 never raises IRQ 0.
  EXPECT_EQ(pit_.irq0_edges(), 0u);
}

TEST_F(PitTest, Counter2StopsCountingWithGateLow) {
  program(0xB0, 1000, 2);  // gate low (port 0x61 bit 0 clear): loaded but frozen
  now_ = clock_.cycle_of_tick(500, Pit8254::kHz);
  EXPECT_EQ(latch_and_read(2), 1000);
  pit_.set_gate2(true);
  now_ = clock_.cycle_of_tick(500 + 1 + 10, Pit8254::kHz);
  EXPECT_EQ(latch_and_read(2), 990);
}

TEST_F(PitTest, LsbOnlyAccess) {
  pit_.io_write(Pit8254::kControlOffset, 1, 0x54);  // counter 1, LSB only, mode 2
  pit_.io_write(1, 1, 50);
  now_ = clock_.cycle_of_tick(11, Pit8254::kHz);
  EXPECT_EQ(pit_.io_read(1, 1), 40u);
}

}  // namespace
}  // namespace vmlab::machine
