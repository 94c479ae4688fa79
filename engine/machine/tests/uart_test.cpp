// The 16550 on COM1: registers, interrupt identification, DLAB, FIFOs, capture.
#include <gtest/gtest.h>

#include <vector>

#include "engine/machine/uart16550.h"

namespace vmlab::machine {
namespace {

class UartTest : public ::testing::Test {
 protected:
  explicit UartTest(ConsoleInput input = {})
      : input_(std::move(input)),
        uart_(out_, &input_, [this](bool level) { irq_levels_.push_back(level); }) {}

  uint8_t rd(uint16_t reg) { return static_cast<uint8_t>(uart_.io_read(reg, 1)); }
  void wr(uint16_t reg, uint8_t v) { uart_.io_write(reg, 1, v); }

  ConsoleOutput out_;
  ConsoleInput input_;
  std::vector<bool> irq_levels_;
  Uart16550 uart_;
};

TEST_F(UartTest, ResetStateRegisters) {
  EXPECT_EQ(rd(Uart16550::kLsr), 0x60);     // THRE | TEMT, no data
  EXPECT_EQ(rd(Uart16550::kIirFcr), 0x01);  // no interrupt, FIFOs off
  EXPECT_EQ(rd(Uart16550::kIer), 0x00);
  EXPECT_EQ(rd(Uart16550::kMsr), 0xB0);  // CTS, DSR, DCD
  EXPECT_TRUE(irq_levels_.empty());
}

TEST_F(UartTest, TransmitGoesToCapture) {
  for (char c : std::string("hi\n")) wr(Uart16550::kRbrThr, static_cast<uint8_t>(c));
  EXPECT_EQ(out_.captured(), "hi\n");
  EXPECT_EQ(rd(Uart16550::kLsr) & 0x60, 0x60);
}

TEST_F(UartTest, DlabSelectsDivisorLatch) {
  wr(Uart16550::kLcr, 0x80);
  wr(Uart16550::kRbrThr, 0x01);  // DLL
  wr(Uart16550::kIer, 0x00);     // DLM
  EXPECT_EQ(uart_.divisor(), 1);
  EXPECT_EQ(rd(Uart16550::kRbrThr), 0x01);
  wr(Uart16550::kLcr, 0x03);  // 8N1, DLAB off
  EXPECT_EQ(rd(Uart16550::kIer), 0x00);
  EXPECT_EQ(out_.captured(), "");  // the divisor write was not a character
  wr(Uart16550::kScr, 0x5A);
  EXPECT_EQ(rd(Uart16550::kScr), 0x5A);
}

TEST_F(UartTest, ThrEmptyInterruptAfterIerWriteClearedByIirRead) {
  wr(Uart16550::kIer, Uart16550::kIerThrEmpty);
  ASSERT_EQ(irq_levels_, std::vector<bool>{true});
  EXPECT_EQ(rd(Uart16550::kIirFcr), Uart16550::kIirThrEmpty);
  EXPECT_EQ(irq_levels_, (std::vector<bool>{true, false}));
  EXPECT_EQ(rd(Uart16550::kIirFcr), Uart16550::kIirNone);
  // Each transmitted byte raises it again: a new edge for the 8259A.
  wr(Uart16550::kRbrThr, 'x');
  EXPECT_EQ(irq_levels_, (std::vector<bool>{true, false, true}));
}

TEST(UartInputTest, ReceivedDataHasPriorityOverThrEmpty) {
  ConsoleOutput out;
  ConsoleInput input = ConsoleInput::from_string("ab");
  std::vector<bool> levels;
  Uart16550 uart(out, &input, [&](bool l) { levels.push_back(l); });
  EXPECT_EQ(uart.io_read(Uart16550::kLsr, 1) & 1, 1u);
  uart.io_write(Uart16550::kIer, 1, Uart16550::kIerRxData | Uart16550::kIerThrEmpty);
  EXPECT_EQ(uart.io_read(Uart16550::kIirFcr, 1), Uart16550::kIirRxData);
  EXPECT_EQ(uart.io_read(Uart16550::kRbrThr, 1), static_cast<uint32_t>('a'));
  EXPECT_EQ(uart.io_read(Uart16550::kIirFcr, 1), Uart16550::kIirRxData);
  EXPECT_EQ(uart.io_read(Uart16550::kRbrThr, 1), static_cast<uint32_t>('b'));
  // Input consumed: THR empty is next, and reading IIR clears it.
  EXPECT_EQ(uart.io_read(Uart16550::kLsr, 1), 0x60u);
  EXPECT_EQ(uart.io_read(Uart16550::kIirFcr, 1), Uart16550::kIirThrEmpty);
  EXPECT_EQ(uart.io_read(Uart16550::kIirFcr, 1), Uart16550::kIirNone);
  EXPECT_FALSE(uart.irq_level());
}

TEST(UartInputTest, FifoFillsTo16AndReportsTriggerLevel) {
  ConsoleOutput out;
  ConsoleInput input = ConsoleInput::from_string(std::string(20, 'z'));
  Uart16550 uart(out, &input, {});
  uart.io_write(Uart16550::kIirFcr, 1, 0xC7);  // enable, clear both, trigger 14
  uart.io_write(Uart16550::kIer, 1, Uart16550::kIerRxData);
  // 16 bytes in the FIFO, at or above the trigger level: received data available.
  EXPECT_EQ(uart.io_read(Uart16550::kIirFcr, 1), 0xC0u | Uart16550::kIirRxData);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(uart.io_read(Uart16550::kRbrThr, 1), uint32_t{'z'});
  EXPECT_EQ(uart.io_read(Uart16550::kLsr, 1) & 1, 0u);
  EXPECT_EQ(uart.io_read(Uart16550::kIirFcr, 1), 0xC1u);
}

TEST(UartInputTest, LoopbackFeedsReceiverAndMirrorsModemLines) {
  ConsoleOutput out;
  Uart16550 uart(out, nullptr, {});
  uart.io_write(Uart16550::kMcr, 1, Uart16550::kMcrLoop | Uart16550::kMcrRts);
  uart.io_write(Uart16550::kRbrThr, 1, 0xAE);
  EXPECT_EQ(out.captured(), "");
  EXPECT_EQ(uart.io_read(Uart16550::kRbrThr, 1), 0xAEu);
  EXPECT_EQ(uart.io_read(Uart16550::kMsr, 1), uint32_t{Uart16550::kMsrCts});
}

TEST(UartInputTest, IrqIsNotGatedByOut2) {
  // QEMU's behaviour, which kernels written against QEMU rely on (see uart16550.h).
  ConsoleOutput out;
  bool level = false;
  Uart16550 uart(out, nullptr, [&](bool l) { level = l; });
  uart.io_write(Uart16550::kMcr, 1, 0x00);
  uart.io_write(Uart16550::kIer, 1, Uart16550::kIerThrEmpty);
  EXPECT_TRUE(level);
}

}  // namespace
}  // namespace vmlab::machine
