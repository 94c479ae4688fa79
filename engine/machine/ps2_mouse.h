// Ps2Mouse: a PS/2 mouse on the 8042's auxiliary port, as the controller sees it (QEMU's PC
// always has one: kernels that probe the auxiliary port find it).
//
// The protocol (IBM Personal System/2 Hardware Interface Technical Reference, "Keyboard
// and Auxiliary Device Controller", "Pointing device"; the commands and values as QEMU's
// hw/input/ps2.c answers them). Every command but the wrap-mode echo is acknowledged with
// FA, and
//   FF reset: FA, AA (basic assurance test passed), 00 (the device ID); 100 samples/s,
//      resolution 2 (4 counts/mm), stream mode, reporting off, scaling 1:1, ID back to 0
//   F6 set defaults (the reset's values, the ID kept)   F5/F4 reporting off/on
//   F3 sample rate + data byte: FA, FA                   E8 resolution + data byte: FA, FA
//   F2 identify: FA, then the ID: 00, 03 after the sample rates 200, 100, 80 (IntelliMouse,
//      a wheel) and 04 after 200, 200, 80 (IntelliMouse Explorer, five buttons)
//   F0 remote mode, EA stream mode, E7/E6 scaling 2:1/1:1: FA
//   E9 status request: FA, then the status byte (bit 6 remote, 5 reporting on, 4 scaling
//      2:1, 2-0 the buttons), the resolution and the sample rate
//   EB read data: FA, then a movement packet (3 bytes, 4 with an ID of 3 or 4): no movement
//      and no button (vmlab has no host pointer), so 08 00 00 [00]
//   EE wrap mode: FA; then every byte but EC (leave wrap mode: FA) and FF (reset) is echoed
//   any other byte: ignored, no reply (as QEMU)
// A command first drops what was queued and not yet read, as the keyboard does. The power-on
// state is QEMU's reset state (status, resolution and sample rate 0, ID 0), which is what a
// kernel booted by qemu-system-i386 -kernel finds (SeaBIOS does not reset the mouse).
#pragma once

#include <array>
#include <cstdint>

#include "engine/cpu/state_codec.h"

namespace vmlab::machine {

class Ps2Mouse {
 public:
  static constexpr size_t kQueueBytes = 16;
  static constexpr uint8_t kAck = 0xFA;
  static constexpr uint8_t kBatOk = 0xAA;
  static constexpr uint8_t kStatusRemote = 0x40;
  static constexpr uint8_t kStatusReporting = 0x20;
  static constexpr uint8_t kStatusScale21 = 0x10;

  // A byte from the controller (the guest's 0xD4 command, then a write to port 0x60).
  void write(uint8_t byte);
  // The oldest queued byte, taken from the queue; has_data() first.
  bool has_data() const { return count_ != 0; }
  uint8_t read();

  uint8_t status() const { return status_; }
  uint8_t resolution() const { return resolution_; }
  uint8_t sample_rate() const { return sample_rate_; }
  uint8_t id() const { return id_; }
  bool wrap() const { return wrap_; }

  // Saved state (device_state.cpp, docs/snapshots.md): every register and latch; load()
  // validates what it reads and fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  // What the next byte from the controller is: a command, or the data of one.
  enum class Expect : uint8_t { kCommand, kSampleRate, kResolution };

  void command(uint8_t byte);
  void sample_rate(uint8_t rate);
  void reset_values();
  void push(uint8_t b);
  void clear() { count_ = 0; }

  std::array<uint8_t, kQueueBytes> queue_{};
  uint8_t head_ = 0;   // index of the oldest byte
  uint8_t count_ = 0;  // bytes queued
  Expect expect_ = Expect::kCommand;
  uint8_t status_ = 0;
  uint8_t resolution_ = 0;
  uint8_t sample_rate_ = 0;
  uint8_t id_ = 0;
  bool wrap_ = false;
  // The IntelliMouse knock: 0 none, 1 after 200, 2 after 200 100, 3 after 200 200.
  uint8_t knock_ = 0;
};

}  // namespace vmlab::machine
