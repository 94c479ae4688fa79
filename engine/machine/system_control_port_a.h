// SystemControlPortA: port 0x92, the PS/2 "system control port A" (fast A20 and reset).
//
// IBM PS/2 Hardware Interface Technical Reference, "System Control Port A":
//   bit 1  A20 gate: this machine has no address wraparound, A20 is always on and reads 1
//   bit 0  fast reset: writing 1 pulses the processor's reset line
// The reset is not modeled as a reboot (there is no firmware to reboot into): it stops
// the machine with the reason "reset requested by the guest".
#pragma once

#include <cstdint>
#include <functional>

#include "engine/machine/io_device.h"

namespace vmlab::machine {

class SystemControlPortA : public IoDevice {
 public:
  static constexpr uint16_t kPort = 0x92;
  static constexpr uint8_t kFastReset = 0x01;
  static constexpr uint8_t kA20 = 0x02;

  explicit SystemControlPortA(std::function<void()> on_reset) : on_reset_(std::move(on_reset)) {}

  uint32_t io_read(uint16_t, unsigned) override { return kA20; }
  void io_write(uint16_t, unsigned, uint32_t value) override {
    if ((value & kFastReset) && on_reset_) on_reset_();
  }

 private:
  std::function<void()> on_reset_;
};

}  // namespace vmlab::machine
