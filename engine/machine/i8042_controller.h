// I8042Controller: the PC/AT keyboard controller, as much of it as kernels poke.
//
// Intel 8042 as programmed by IBM (PC/AT Technical Reference, "Keyboard Controller"):
//   0x60  data: reads the output buffer; writes go to the keyboard or follow a command
//   0x64  read: status register; write: controller command
// No keyboard is attached. The status register reads 0x14: output buffer empty (bit 0
// clear: "no data", which is what a kernel flushing the controller loops on, and why an
// all-ones read from a missing controller would hang it), input buffer empty (bit 1),
// system flag (bit 2, set after the power-on self test), keyboard not inhibited (bit 4).
// The data port reads 0. Commands are accepted and ignored except the ones that pulse the
// processor's reset line: 0xFE (pulse output port bit 0) or any 0xF0-0xFF pulse with bit
// 0 clear, and 0xD1 (write output port) followed by a byte with bit 0 clear. A reset
// stops the machine with the reason "reset requested by the guest".
#pragma once

#include <cstdint>
#include <functional>

#include "engine/cpu/state_codec.h"
#include "engine/machine/io_device.h"

namespace vmlab::machine {

class I8042Controller : public IoDevice {
 public:
  static constexpr uint16_t kDataPort = 0x60;
  static constexpr uint16_t kCommandPort = 0x64;
  // Offsets as seen by the device: the ports relative to 0x60.
  static constexpr uint16_t kDataOffset = 0;
  static constexpr uint16_t kCommandOffset = 4;
  static constexpr uint8_t kStatus = 0x14;
  static constexpr uint8_t kCmdWriteOutputPort = 0xD1;
  static constexpr uint8_t kCmdPulseReset = 0xFE;

  explicit I8042Controller(std::function<void()> on_reset) : on_reset_(std::move(on_reset)) {}

  uint32_t io_read(uint16_t offset, unsigned) override {
    return offset == kCommandOffset ? kStatus : 0x00;
  }
  void io_write(uint16_t offset, unsigned, uint32_t value) override {
    const auto v = static_cast<uint8_t>(value);
    if (offset == kCommandOffset) {
      expect_output_port_ = v == kCmdWriteOutputPort;
      // 0xF0-0xFF pulse the output port bits whose mask bit (3-0) is 0; bit 0 is RESET.
      if ((v & 0xF0) == 0xF0 && !(v & 0x01)) reset();
    } else if (expect_output_port_) {
      expect_output_port_ = false;
      if (!(v & 0x01)) reset();  // output port bit 0 low holds the processor in reset
    }
  }

  // Saved state (device_state.cpp, docs/snapshots.md): every register and latch; load()
  // validates what it reads and fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  void reset() {
    if (on_reset_) on_reset_();
  }
  std::function<void()> on_reset_;
  bool expect_output_port_ = false;
};

}  // namespace vmlab::machine
