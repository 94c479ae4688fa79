// The 8259A pair: initialization, priorities, EOI, masking, spurious interrupts, cascade.
#include <gtest/gtest.h>

#include "engine/machine/pic_pair.h"

namespace vmlab::machine {
namespace {

class PicTest : public ::testing::Test {
 protected:
  PicTest() : pic_([this] { ++changes_; }) {}

  // The classic remap: master to 0x20, slave to 0x28, cascade on IR2, 8086 mode.
  void init(uint8_t icw4 = 0x01) {
    Pic8259& m = pic_.master();
    Pic8259& s = pic_.slave();
    m.io_write(0, 1, 0x11);
    m.io_write(1, 1, 0x20);
    m.io_write(1, 1, 0x04);
    m.io_write(1, 1, icw4);
    s.io_write(0, 1, 0x11);
    s.io_write(1, 1, 0x28);
    s.io_write(1, 1, 0x02);
    s.io_write(1, 1, icw4);
  }
  uint8_t read_isr(Pic8259& p) {
    p.io_write(0, 1, Pic8259::kOcw3 | Pic8259::kOcw3ReadIsr);
    return static_cast<uint8_t>(p.io_read(0, 1));
  }
  uint8_t read_irr(Pic8259& p) {
    p.io_write(0, 1, Pic8259::kOcw3 | Pic8259::kOcw3ReadIrr);
    return static_cast<uint8_t>(p.io_read(0, 1));
  }

  int changes_ = 0;
  PicPair pic_;
};

TEST_F(PicTest, InitSequenceSetsVectorBaseAndClearsMask) {
  pic_.master().io_write(1, 1, 0xFF);
  init();
  EXPECT_TRUE(pic_.master().initialized());
  EXPECT_EQ(pic_.master().io_read(1, 1), 0x00u);  // ICW1 cleared the IMR
  pic_.set_irq(1, true);
  ASSERT_TRUE(pic_.intr_pending());
  EXPECT_EQ(pic_.acknowledge(), 0x21);
  EXPECT_GT(changes_, 0);
}

TEST_F(PicTest, HigherPriorityWinsAndNestsOverLowerInService) {
  init();
  pic_.set_irq(3, true);
  pic_.set_irq(1, true);
  EXPECT_EQ(read_irr(pic_.master()), 0x0A);
  EXPECT_EQ(pic_.acknowledge(), 0x21);  // IRQ1 before IRQ3
  EXPECT_EQ(read_isr(pic_.master()), 0x02);
  // IRQ3 is held back by IRQ1 in service; IRQ0 is not.
  EXPECT_FALSE(pic_.intr_pending());
  pic_.set_irq(0, true);
  ASSERT_TRUE(pic_.intr_pending());
  EXPECT_EQ(pic_.acknowledge(), 0x20);
  EXPECT_EQ(read_isr(pic_.master()), 0x03);
  // A non-specific EOI ends the highest level in service (IRQ0).
  pic_.master().io_write(0, 1, Pic8259::kOcw2NonSpecificEoi);
  EXPECT_EQ(read_isr(pic_.master()), 0x02);
  EXPECT_FALSE(pic_.intr_pending());
  pic_.master().io_write(0, 1, Pic8259::kOcw2NonSpecificEoi);
  ASSERT_TRUE(pic_.intr_pending());
  EXPECT_EQ(pic_.acknowledge(), 0x23);
}

TEST_F(PicTest, SpecificEoiClearsThatLevel) {
  init();
  pic_.set_irq(5, true);
  EXPECT_EQ(pic_.acknowledge(), 0x25);
  pic_.master().io_write(0, 1, Pic8259::kOcw2SpecificEoi | 4);  // wrong level: no effect
  EXPECT_EQ(read_isr(pic_.master()), 0x20);
  pic_.master().io_write(0, 1, Pic8259::kOcw2SpecificEoi | 5);
  EXPECT_EQ(read_isr(pic_.master()), 0x00);
}

TEST_F(PicTest, MaskHoldsRequestInIrr) {
  init();
  pic_.master().io_write(1, 1, 0x01);  // OCW1: mask IRQ0
  pic_.set_irq(0, true);
  EXPECT_FALSE(pic_.intr_pending());
  EXPECT_EQ(read_irr(pic_.master()), 0x01);
  EXPECT_FALSE(pic_.can_deliver(0));
  pic_.master().io_write(1, 1, 0x00);
  EXPECT_TRUE(pic_.intr_pending());
  EXPECT_EQ(pic_.acknowledge(), 0x20);
}

TEST_F(PicTest, EdgeTriggeredNeedsNewRisingEdge) {
  init();
  pic_.set_irq(0, true);
  EXPECT_EQ(pic_.acknowledge(), 0x20);
  pic_.master().io_write(0, 1, Pic8259::kOcw2NonSpecificEoi);
  pic_.set_irq(0, true);  // still high: no new edge
  EXPECT_FALSE(pic_.intr_pending());
  pic_.pulse_irq(0);
  EXPECT_TRUE(pic_.intr_pending());
}

TEST_F(PicTest, SpuriousIrq7WhenNothingPendingAtInta) {
  init();
  EXPECT_EQ(pic_.acknowledge(), 0x27);
  EXPECT_EQ(read_isr(pic_.master()), 0x00);  // no ISR bit for a spurious interrupt
  EXPECT_EQ(pic_.spurious_count(), 1u);
}

TEST_F(PicTest, SlaveInterruptGoesThroughCascadeAndSpuriousIrq15) {
  init();
  pic_.set_irq(12, true);
  ASSERT_TRUE(pic_.intr_pending());
  EXPECT_EQ(pic_.acknowledge(), 0x2C);
  EXPECT_EQ(read_isr(pic_.master()), 0x04);
  EXPECT_EQ(read_isr(pic_.slave()), 0x10);
  pic_.slave().io_write(0, 1, Pic8259::kOcw2NonSpecificEoi);
  pic_.master().io_write(0, 1, Pic8259::kOcw2NonSpecificEoi);
  EXPECT_FALSE(pic_.intr_pending());
  // Master grants IR2 but the slave's request went away: the slave answers IRQ15.
  pic_.slave().set_irq(3, false);
  pic_.master().set_cascade_input(2, true);
  EXPECT_EQ(pic_.acknowledge(), 0x2F);
  EXPECT_EQ(read_isr(pic_.slave()), 0x00);
  EXPECT_EQ(read_isr(pic_.master()), 0x04);  // the master still needs its EOI
}

TEST_F(PicTest, AutoEoiLeavesIsrClear) {
  init(0x03);  // ICW4: 8086 mode, AEOI
  pic_.set_irq(4, true);
  EXPECT_EQ(pic_.acknowledge(), 0x24);
  EXPECT_EQ(read_isr(pic_.master()), 0x00);
}

TEST_F(PicTest, PollCommandActsAsAcknowledge) {
  init();
  pic_.set_irq(6, true);
  pic_.master().io_write(0, 1, Pic8259::kOcw3 | Pic8259::kOcw3Poll);
  EXPECT_EQ(pic_.master().io_read(0, 1), 0x86u);
  EXPECT_EQ(read_isr(pic_.master()), 0x40);
}

TEST_F(PicTest, RotateOnEoiMakesServedLevelLowest) {
  init();
  pic_.set_irq(0, true);
  pic_.set_irq(1, true);
  EXPECT_EQ(pic_.acknowledge(), 0x20);
  pic_.master().io_write(0, 1, 0xA0);  // rotate on non-specific EOI: IRQ0 becomes lowest
  pic_.pulse_irq(0);
  EXPECT_EQ(pic_.acknowledge(), 0x21);  // IRQ1 is now the highest
}

TEST_F(PicTest, ImrReadBack) {
  init();
  pic_.slave().io_write(1, 1, 0xA5);
  EXPECT_EQ(pic_.slave().io_read(1, 1), 0xA5u);
}

}  // namespace
}  // namespace vmlab::machine
