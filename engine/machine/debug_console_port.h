// DebugConsolePort: port 0xE9, the Bochs/QEMU debug console ("port E9 hack").
//
// Each byte written to 0xE9 goes straight to the console, with no UART to program: the
// simplest possible output for an early kernel. Reading the port returns 0xE9, which is
// how a guest detects that the hack is present (QEMU's isa-debugcon reads back 0xE9).
#pragma once

#include <cstdint>

#include "engine/machine/console_output.h"
#include "engine/machine/io_device.h"

namespace vmlab::machine {

class DebugConsolePort : public IoDevice {
 public:
  static constexpr uint16_t kPort = 0xE9;
  static constexpr uint8_t kReadback = 0xE9;

  explicit DebugConsolePort(ConsoleOutput& output) : output_(output) {}

  uint32_t io_read(uint16_t, unsigned) override { return kReadback; }
  void io_write(uint16_t, unsigned, uint32_t value) override {
    output_.put(static_cast<char>(value));
  }

 private:
  ConsoleOutput& output_;
};

}  // namespace vmlab::machine
