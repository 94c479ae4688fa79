// CmosRtc: the PC/AT real-time clock and CMOS RAM (Motorola MC146818A).
//
// Datasheet: Motorola MC146818A, "Real-Time Clock plus RAM" (and the IBM PC/AT Technical
// Reference for the CMOS map). Ports:
//   0x70  index (write-only): bits 6-0 select the register, bit 7 disables NMI
//   0x71  data: the selected register
// Registers: 0x00 seconds, 0x02 minutes, 0x04 hours, 0x06 day of week (1 = Sunday),
// 0x07 day of month, 0x08 month, 0x09 year, 0x32 century; 0x0A-0x0D status A-D;
// 0x15-0x16 base memory in KiB; 0x17-0x18 and 0x30-0x31 extended memory in KiB
// (capped at 0xFFFF); 0x34-0x35 memory above 16 MiB in 64 KiB blocks.
//
// The clock is deterministic: it reads kEpoch (2000-01-01 00:00:00, a Saturday) plus the
// modeled seconds elapsed (cycles / CPU frequency), never the host's time. Writes to the
// time registers are ignored for the same reason. Status A reads 0x26 (32.768 kHz time
// base, 1024 Hz rate) with UIP never set; status B reads 0x02 (24-hour, BCD) and may be
// changed to binary or 12-hour mode, which the time registers then follow; status D reads
// 0x80 (valid RAM and time). The periodic, alarm and update interrupts (IRQ 8) are not
// modeled: status C always reads 0. The non-obvious bit: the NMI-disable bit rides on
// the index port, so every guest index write carries it; it is kept but there is no NMI.
#pragma once

#include <array>
#include <cstdint>

#include "engine/cpu/state_codec.h"
#include "engine/machine/io_device.h"
#include "engine/machine/modeled_clock.h"

namespace vmlab::machine {

class CmosRtc : public IoDevice {
 public:
  static constexpr uint16_t kBase = 0x70;
  static constexpr uint8_t kNmiDisable = 0x80;
  static constexpr uint8_t kSeconds = 0x00, kMinutes = 0x02, kHours = 0x04, kWeekday = 0x06,
                           kDay = 0x07, kMonth = 0x08, kYear = 0x09, kStatusA = 0x0A,
                           kStatusB = 0x0B, kStatusC = 0x0C, kStatusD = 0x0D, kCentury = 0x32;
  static constexpr uint8_t kStatusB24Hour = 0x02, kStatusBBinary = 0x04;

  CmosRtc(const ModeledClock& clock, uint32_t ram_bytes);

  uint32_t io_read(uint16_t offset, unsigned size) override;
  void io_write(uint16_t offset, unsigned size, uint32_t value) override;

  bool nmi_disabled() const { return nmi_disabled_; }

  // The date and time the clock shows after `seconds` of modeled time since kEpoch.
  struct DateTime {
    unsigned year, month, day, weekday, hour, minute, second;  // weekday 1 = Sunday
  };
  static DateTime date_time(uint64_t seconds);

  // Saved state (device_state.cpp, docs/snapshots.md): every register and latch; load()
  // validates what it reads and fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  uint8_t read_register(uint8_t index) const;
  uint8_t encode(unsigned value) const;

  const ModeledClock& clock_;
  std::array<uint8_t, 128> ram_{};
  uint8_t index_ = 0;
  bool nmi_disabled_ = false;
};

}  // namespace vmlab::machine
