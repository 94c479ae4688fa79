// PostCodePort: port 0x80, the POST diagnostic port.
//
// On a PC a POST card on the ISA bus latches every byte written to 0x80 and shows it on
// two seven-segment digits; firmware writes its progress codes there, and kernels write
// to it (outb to 0x80) as a cheap I/O delay of about 1 us. Writes are accepted and
// recorded; reads return all ones, since the card only listens.
#pragma once

#include <cstdint>

#include "engine/cpu/state_codec.h"
#include "engine/machine/io_device.h"

namespace vmlab::machine {

class PostCodePort : public IoDevice {
 public:
  static constexpr uint16_t kPort = 0x80;

  uint32_t io_read(uint16_t, unsigned) override { return 0xFFFFFFFFu; }
  void io_write(uint16_t, unsigned, uint32_t value) override {
    last_code_ = static_cast<uint8_t>(value);
    ++writes_;
  }

  uint8_t last_code() const { return last_code_; }
  uint64_t writes() const { return writes_; }

  // Saved state (device_state.cpp, docs/snapshots.md): every register and latch; load()
  // validates what it reads and fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  uint8_t last_code_ = 0;
  uint64_t writes_ = 0;
};

}  // namespace vmlab::machine
