// LiveInput: bytes queued from another thread reach the 16550's receiver in order, with
// LSR.DR, the received-data interrupt and IIR as for any input; the queue wakes a waiter.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/machine/console_input.h"
#include "engine/machine/live_input.h"
#include "engine/machine/uart16550.h"

namespace vmlab::machine {
namespace {

std::string read_all(Uart16550& uart) {
  std::string got;
  while (uart.io_read(Uart16550::kLsr, 1) & Uart16550::kLsrDataReady) {
    got.push_back(static_cast<char>(uart.io_read(Uart16550::kRbrThr, 1)));
  }
  return got;
}

TEST(LiveInputTest, BytesFromAnotherThreadArriveInOrderWithTheReceiveInterrupt) {
  auto live = std::make_shared<LiveInput>();
  ConsoleOutput out;
  ConsoleInput input = ConsoleInput::from_live(live);
  EXPECT_TRUE(input.interactive());
  std::vector<bool> levels;
  Uart16550 uart(out, &input, [&](bool l) { levels.push_back(l); });
  uart.io_write(Uart16550::kIirFcr, 1, 0x07);  // FIFOs on, trigger level 1
  uart.io_write(Uart16550::kIer, 1, Uart16550::kIerRxData);
  // Nothing typed yet: no data, no interrupt.
  uart.poll_input();
  EXPECT_EQ(uart.io_read(Uart16550::kLsr, 1) & Uart16550::kLsrDataReady, 0u);
  EXPECT_EQ(uart.io_read(Uart16550::kIirFcr, 1), 0xC1u);
  EXPECT_TRUE(levels.empty());

  // 40 bytes (more than the FIFO holds) from another thread, pushed one at a time.
  const std::string typed = "echo the quick brown fox jumps over it\r\n";
  std::thread typist([&] {
    for (char c : typed) live->push(std::string(1, c));
  });
  typist.join();
  uart.poll_input();  // the machine does this at the end of each slice
  EXPECT_EQ(levels, std::vector<bool>{true});
  EXPECT_EQ(uart.io_read(Uart16550::kIirFcr, 1), 0xC0u | Uart16550::kIirRxData);
  EXPECT_EQ(read_all(uart), typed);  // RBR reads refill the FIFO from the queue
  EXPECT_EQ(levels, (std::vector<bool>{true, false}));
  EXPECT_EQ(uart.io_read(Uart16550::kIirFcr, 1), 0xC1u);
  EXPECT_FALSE(input.exhausted());  // open: more may come

  live->push("ok");
  live->close();
  live->push("dropped after close");
  uart.poll_input();
  EXPECT_EQ(read_all(uart), "ok");
  EXPECT_TRUE(input.exhausted());
}

TEST(LiveInputTest, WaitEndsWhenAnotherThreadPushes) {
  auto live = std::make_shared<LiveInput>();
  ConsoleInput input = ConsoleInput::from_live(live);
  EXPECT_FALSE(input.wait(0));
  std::thread typist([&] { live->push("x"); });
  // The timeout only bounds a broken test: the push ends the wait.
  while (!input.wait(60'000)) {
  }
  typist.join();
  EXPECT_EQ(input.next(), uint8_t{'x'});
  EXPECT_FALSE(input.next().has_value());
  live->close();
  EXPECT_FALSE(input.wait(60'000));  // closed: returns at once, nothing came
  EXPECT_TRUE(input.exhausted());
}

TEST(LiveInputTest, ANullQueueIsAnIdleLine) {
  ConsoleInput input = ConsoleInput::from_live(nullptr);
  EXPECT_FALSE(input.interactive());
  EXPECT_TRUE(input.exhausted());
  EXPECT_FALSE(input.next().has_value());
}

}  // namespace
}  // namespace vmlab::machine
