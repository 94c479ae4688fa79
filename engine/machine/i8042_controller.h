// I8042Controller: the PC/AT keyboard controller, with an MF II keyboard on its keyboard
// port and a PS/2 mouse on its auxiliary port (ps2_mouse.h), as on QEMU's PC.
//
// Intel 8042 as programmed by IBM (PC/AT Technical Reference, "Keyboard Controller"; the
// PS/2 Hardware Interface Technical Reference's 8042 commands):
//   0x60  read: the output buffer; write: a byte for the keyboard, or a command's data
//   0x64  read: the status register; write: a controller command
// Status: bit 0 output buffer full, 1 input buffer full (never: every write is taken at
// once), 2 system flag (set by the self test; as QEMU, not from the command byte's bit 2,
// which the IBM part copies), 3 the last write was to 0x64 (the part's A2 latch; QEMU keeps
// it set), 4 keyboard not inhibited (the key lock: always 1), 5 the output buffer's byte
// is the auxiliary port's, 6-7 (time-out, parity error) 0.
// The command byte (CTR, 0x20 reads it, 0x60 writes it): bit 0 IRQ 1 when the output
// buffer fills with a byte that is not the auxiliary port's, 1 IRQ 12 when it fills with
// one that is, 2 system flag, 4 keyboard interface disabled, 5 auxiliary interface
// disabled, 6 translate the keyboard's set 2 codes to set 1 (scancodes.h); the other bits
// are kept as written. Commands: 0xAA self test (0x55), 0xAB keyboard interface test
// (0x00), 0xAD/0xAE disable/enable the keyboard interface (CTR bit 4), 0xA7/0xA8
// disable/enable the auxiliary interface (CTR bit 5), 0xA9 auxiliary interface test (0x00),
// 0xD3 write the auxiliary output buffer (the data byte comes back as the auxiliary port's,
// the drivers' loop test), 0xD4 write the data byte to the mouse (which re-enables the
// auxiliary interface, as QEMU does), 0xC0 read input port (0x80: the key
// lock open, as QEMU), 0xD0/0xD1 read/write the output port (bit 0 the processor's reset
// line, bit 1 A20, bit 4 "output buffer full"), 0xD2 write the output buffer as if the
// keyboard had sent the byte (untranslated), 0xDD/0xDF A20 off/on (the output port's bit 1
// only: vmlab's A20 is always on), 0xE0 read test inputs (0x00), 0xF0-0xFF pulse the output
// port bits whose mask bit (3-0) is 0. A reset pulse (bit 0 low: 0xFE, any even 0xF0-0xFE)
// or 0xD1 with bit 0 clear stops the machine with "reset requested by the guest". Other
// commands are ignored.
// A byte written to 0x60 with no command waiting goes to the keyboard and re-enables the
// keyboard interface (CTR bit 4 cleared), as QEMU does; a reply of the keyboard's still in
// the output buffer, unread, is dropped, as under QEMU (ED then 00 read back is one FA).
//
// The output buffer holds one byte. It is filled, when empty, first from a controller reply
// waiting, then from the keyboard (unless its interface is disabled), translated when CTR
// bit 6 is set: an F0 from the keyboard is taken and the next byte's translation gets bit
// 7; then from the mouse (unless the auxiliary interface is disabled), as QEMU orders them.
// Reading port 0x60 empties it (and refills it at once if more is waiting); with it empty
// the read returns the last byte again. IRQ 1's line is high while the buffer holds a byte
// that is not the auxiliary port's and CTR bit 0 is set, IRQ 12's while it holds one that
// is and CTR bit 1 is set; the PIC latches their rising edges.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "engine/cpu/state_codec.h"
#include "engine/machine/io_device.h"
#include "engine/machine/ps2_keyboard.h"
#include "engine/machine/ps2_mouse.h"

namespace vmlab::machine {

class I8042Controller : public IoDevice {
 public:
  static constexpr uint16_t kDataPort = 0x60;
  static constexpr uint16_t kCommandPort = 0x64;
  // Offsets as seen by the device: the ports relative to 0x60.
  static constexpr uint16_t kDataOffset = 0;
  static constexpr uint16_t kCommandOffset = 4;
  static constexpr unsigned kIrq = 1;
  static constexpr unsigned kAuxIrq = 12;
  static constexpr uint8_t kStatusOutputFull = 0x01;
  static constexpr uint8_t kStatusSystem = 0x04;
  static constexpr uint8_t kStatusCommand = 0x08;
  static constexpr uint8_t kStatusNotInhibited = 0x10;
  static constexpr uint8_t kStatusAuxData = 0x20;
  static constexpr uint8_t kCtrKbdInterrupt = 0x01;
  static constexpr uint8_t kCtrAuxInterrupt = 0x02;
  static constexpr uint8_t kCtrSystem = 0x04;
  static constexpr uint8_t kCtrKbdDisabled = 0x10;
  static constexpr uint8_t kCtrAuxDisabled = 0x20;
  static constexpr uint8_t kCtrTranslate = 0x40;
  static constexpr uint8_t kCmdWriteOutputPort = 0xD1;
  static constexpr uint8_t kCmdPulseReset = 0xFE;
  // As SeaBIOS leaves them for a kernel booted by qemu-system-i386 -kernel (the keyboard
  // test kernel prints them under QEMU): CTR = IRQ 1 on, translate, and bit 5 (QEMU's
  // auxiliary port disabled); the last write a data byte.
  static constexpr uint8_t kFirmwareCtr = 0x61;
  static constexpr uint8_t kPowerOnOutputPort = 0xCF;  // reset high, A20 on, QEMU's ones

  // `on_reset`: the reset line pulsed. `irq`: IRQ 1's level changed; `aux_irq`: IRQ 12's.
  explicit I8042Controller(std::function<void()> on_reset, std::function<void(bool)> irq = {},
                           std::function<void(bool)> aux_irq = {})
      : on_reset_(std::move(on_reset)), irq_(std::move(irq)), aux_irq_(std::move(aux_irq)) {}

  uint32_t io_read(uint16_t offset, unsigned size) override;
  void io_write(uint16_t offset, unsigned size, uint32_t value) override;

  // The BIOS's state (machine.h, "Firmware state"): self test done, keyboard reset, CTR.
  void apply_firmware_state();

  Ps2Keyboard& keyboard() { return keyboard_; }
  const Ps2Keyboard& keyboard() const { return keyboard_; }
  const Ps2Mouse& mouse() const { return mouse_; }
  // Whether a key pressed now would reach the guest at once: the keyboard scanning with
  // nothing queued, its interface enabled, the output buffer empty (key_feeder.h).
  bool ready_for_key() const;
  // A key from the user: into the keyboard, then the output buffer if it is empty.
  bool key(KeyId key, bool release);
  uint8_t command_byte() const { return ctr_; }
  bool output_full() const { return obf_; }
  bool output_is_aux() const { return obf_ && out_aux_; }
  bool irq_level() const { return irq_level_; }
  bool aux_irq_level() const { return aux_irq_level_; }
  // Called after every guest access (the machine ends the slice if a key can now go in).
  void set_access_listener(std::function<void()> listener) { on_access_ = std::move(listener); }

  // Saved state (device_state.cpp, docs/snapshots.md): every register and latch; load()
  // validates what it reads and fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  // What a byte written to port 0x60 is for.
  enum class Pending : uint8_t {
    kKeyboard,
    kCommandByte,
    kOutputPort,
    kOutputBuffer,
    kAuxOutputBuffer,
    kMouse
  };
  uint8_t status() const;
  void command(uint8_t c);
  void data(uint8_t d);
  void reply(uint8_t b, bool aux = false);
  void write_output_port(uint8_t v);
  // Fills an empty output buffer from what waits, then updates IRQ 1.
  void refill();
  void update_irq();
  void reset() {
    if (on_reset_) on_reset_();
  }

  std::function<void()> on_reset_;
  std::function<void(bool)> irq_;
  std::function<void(bool)> aux_irq_;
  std::function<void()> on_access_;
  Ps2Keyboard keyboard_;
  Ps2Mouse mouse_;
  uint8_t ctr_ = 0x50;  // the power-on command byte: interface disabled, translate (unused)
  uint8_t out_ = 0;     // the output buffer
  bool obf_ = false;
  bool out_from_keyboard_ = false;  // the buffer's byte came from the keyboard
  bool out_aux_ = false;            // the buffer's byte is the auxiliary port's
  std::optional<uint8_t> reply_;    // a controller reply waiting for the output buffer
  bool reply_aux_ = false;          // ... as the auxiliary port's (0xD3)
  bool f0_seen_ = false;            // translating: an F0 taken, the next byte is a break
  Pending pending_ = Pending::kKeyboard;
  bool last_was_command_ = true;
  bool system_flag_ = false;
  uint8_t output_port_ = kPowerOnOutputPort;
  bool irq_level_ = false;
  bool aux_irq_level_ = false;
};

}  // namespace vmlab::machine
