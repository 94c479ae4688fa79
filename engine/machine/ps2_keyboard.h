// Ps2Keyboard: an MF II keyboard on the 8042's keyboard port, as the controller sees it.
//
// The protocol (IBM Personal System/2 Hardware Interface Technical Reference, "Keyboard",
// "Commands from the system"): every command is acknowledged with FA, and
//   FF reset: FA, then AA (basic assurance test passed); scancode set 2, scanning enabled,
//      LEDs off, default typematic rate
//   F6/F5 set defaults (F5 also disables scanning); F4 enable scanning
//   F3 typematic rate/delay + data byte: FA, FA       ED LEDs + data byte: FA, FA
//   F2 identify: FA AB 83 (an MF II keyboard; the 8042 translates 83 to 41)
//   F0 scancode set + data byte: 0 asks (FA, then the set: 01 or 02), 1 or 2 selects
//      (FA); anything else is refused with FE. Set 3 is not modeled (QEMU's is).
//   EE echo: EE (no FA)        FE resend: the last byte sent again
//   F7-FD (set 3 key types) and any other byte: FE (resend), as QEMU answers them
// A data byte that follows ED, F3 or F0 is taken as that data; a command byte sent
// instead (QEMU and the part treat ED then F4 as LEDs = F4) is data too.
//
// Output queue: kQueueBytes bytes, as QEMU's PS/2 queue; a command's reply first drops
// whatever key bytes were queued and not yet read, as the part does ("the keyboard clears
// its output buffer when it receives a command"). Key bytes that do not fit are dropped
// and the queue's last byte becomes the overrun code (00 in set 2, FF in set 1).
#pragma once

#include <array>
#include <cstdint>

#include "engine/cpu/state_codec.h"
#include "engine/machine/scancodes.h"

namespace vmlab::machine {

class Ps2Keyboard {
 public:
  static constexpr size_t kQueueBytes = 16;
  static constexpr uint8_t kAck = 0xFA;
  static constexpr uint8_t kResend = 0xFE;
  static constexpr uint8_t kBatOk = 0xAA;
  static constexpr uint8_t kEcho = 0xEE;

  Ps2Keyboard() { power_on(); }

  // A byte from the controller (the guest's write to port 0x60).
  void write(uint8_t byte);
  // The oldest queued byte, taken from the queue; has_data() first.
  bool has_data() const { return count_ != 0; }
  uint8_t read();
  size_t queued() const { return count_; }

  // A key pressed or released: its bytes in the current scancode set, if scanning is
  // enabled; dropped otherwise, as the part does. Returns whether they were queued.
  bool key(KeyId key, bool release);

  bool scanning() const { return scanning_; }
  unsigned scancode_set() const { return set_; }
  uint8_t leds() const { return leds_; }
  uint8_t typematic() const { return typematic_; }

  // Saved state (device_state.cpp, docs/snapshots.md): every register and latch; load()
  // validates what it reads and fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  // What the next byte from the controller is: a command, or the data of one.
  enum class Expect : uint8_t { kCommand, kLeds, kTypematic, kScancodeSet };
  static constexpr uint8_t kDefaultTypematic = 0x2B;  // 10.9 characters/s, 500 ms

  void power_on();
  void reset_defaults();
  void push(uint8_t b);
  void clear() { count_ = 0; }

  std::array<uint8_t, kQueueBytes> queue_{};
  uint8_t head_ = 0;   // index of the oldest byte
  uint8_t count_ = 0;  // bytes queued
  uint8_t last_sent_ = kBatOk;
  Expect expect_ = Expect::kCommand;
  bool scanning_ = true;
  uint8_t set_ = 2;
  uint8_t leds_ = 0;
  uint8_t typematic_ = kDefaultTypematic;
};

}  // namespace vmlab::machine
