// PciConfigSpace: the 256-byte configuration space of one PCI function (PCI Local Bus
// Specification 3.0, 6.1) with a mask of the bits software may write, shared by the
// functions vmlab presents on bus 0 (pci_host_bridge.h, piix3_isa_bridge.h,
// ata_bus_master.h).
//
// A read of `size` bytes at `reg` gathers them little-endian; bytes past the end read all
// ones. A write changes only the writable bits and stops at the end of the space. A saved
// space is loaded only when every read-only bit equals the power-on value: the rest is
// what the function's constructor set, and a snapshot cannot change a device's identity.
#pragma once

#include <array>
#include <cstdint>

#include "engine/cpu/state_codec.h"

namespace vmlab::machine {

class PciConfigSpace {
 public:
  static constexpr unsigned kSize = 256;

  uint32_t read(unsigned reg, unsigned size) const;
  void write(unsigned reg, unsigned size, uint32_t value);

  // Power-on contents and the writable mask, as a function's constructor sets them.
  void set8(unsigned at, uint8_t v) { bytes_[at] = v; }
  void set16(unsigned at, uint16_t v);
  void set32(unsigned at, uint32_t v);
  void writable8(unsigned at, uint8_t mask) { writable_[at] = mask; }
  void writable32(unsigned at, uint32_t mask);
  // Every byte of the device-specific area (0x40-0xFF) writable, as QEMU's functions have
  // it unless a device restricts it.
  void device_specific_writable();

  uint8_t byte(unsigned at) const { return bytes_[at]; }
  uint32_t dword(unsigned at) const { return read(at, 4); }
  const std::array<uint8_t, kSize>& bytes() const { return bytes_; }

  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  std::array<uint8_t, kSize> bytes_{};
  std::array<uint8_t, kSize> writable_{};
};

}  // namespace vmlab::machine
