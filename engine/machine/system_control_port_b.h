// SystemControlPortB: port 0x61, the PC/AT "system control port B" (8255 port B on the
// PC/XT, kept by every chipset since).
//
// IBM PC/AT Technical Reference, "System Control Port B":
//   bit 0  (r/w) PIT counter 2 gate          bit 1  (r/w) speaker data enable
//   bits 2-3 (r/w) parity / I/O check enables (kept, no effect)
//   bit 4  (r)   refresh request: toggles every 15.085 us, 18 PIT ticks
//   bit 5  (r)   PIT counter 2 OUT
//   bits 6-7 (r) I/O check and parity error: never set here
// The non-obvious bit: kernels calibrate their TSC loops with counter 2 through this
// port (gate on with bit 0, program counter 2, poll bit 5), and old delay loops count
// bit 4 toggles; both come from modeled time, so calibration gives the modeled clock.
#pragma once

#include <cstdint>

#include "engine/cpu/state_codec.h"
#include "engine/machine/io_device.h"
#include "engine/machine/pit8254.h"

namespace vmlab::machine {

class SystemControlPortB : public IoDevice {
 public:
  static constexpr uint16_t kPort = 0x61;
  static constexpr uint8_t kGate2 = 0x01;
  static constexpr uint8_t kSpeakerData = 0x02;
  static constexpr uint8_t kRefresh = 0x10;
  static constexpr uint8_t kOut2 = 0x20;
  static constexpr uint64_t kRefreshTicks = 18;

  explicit SystemControlPortB(Pit8254& pit) : pit_(pit) {}

  uint32_t io_read(uint16_t, unsigned) override {
    uint8_t v = control_;
    if ((pit_.now_ticks() / kRefreshTicks) & 1) v |= kRefresh;
    if (pit_.out(2)) v |= kOut2;
    return v;
  }
  void io_write(uint16_t, unsigned, uint32_t value) override {
    control_ = static_cast<uint8_t>(value & 0x0F);
    pit_.set_gate2((control_ & kGate2) != 0);
  }

  // Saved state (device_state.cpp, docs/snapshots.md): every register and latch; load()
  // validates what it reads and fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  Pit8254& pit_;
  uint8_t control_ = 0;
};

}  // namespace vmlab::machine
