// DebugExitPort: QEMU's isa-debug-exit device, the guest's way to stop the machine.
//
// Ports 0xF4-0xF7 (iobase 0xF4, iosize 4, as kernels configure it for QEMU with
// `-device isa-debug-exit,iobase=0xf4,iosize=0x04`). A write of value v, of any size,
// stops the machine and records v. The non-obvious bit: QEMU then exits with status
// (v << 1) | 1, so a guest can never make QEMU report 0; test harnesses written for QEMU
// expect that encoding, and qemu_exit_status() gives it. Reads return all ones.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "engine/cpu/state_codec.h"
#include "engine/machine/io_device.h"

namespace vmlab::machine {

class DebugExitPort : public IoDevice {
 public:
  static constexpr uint16_t kBase = 0xF4;
  static constexpr uint32_t kSize = 4;

  // `on_exit` is called with the value written; the machine stops.
  explicit DebugExitPort(std::function<void(uint32_t)> on_exit) : on_exit_(std::move(on_exit)) {}

  uint32_t io_read(uint16_t, unsigned) override { return 0xFFFFFFFFu; }
  void io_write(uint16_t, unsigned, uint32_t value) override {
    value_ = value;
    if (on_exit_) on_exit_(value);
  }

  std::optional<uint32_t> value() const { return value_; }
  static uint32_t qemu_exit_status(uint32_t v) { return (v << 1) | 1; }

  // Saved state (device_state.cpp, docs/snapshots.md): every register and latch; load()
  // validates what it reads and fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  std::function<void(uint32_t)> on_exit_;
  std::optional<uint32_t> value_;
};

}  // namespace vmlab::machine
