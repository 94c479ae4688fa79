#include "engine/machine/pci_config_space.h"

#include <algorithm>

namespace vmlab::machine {

uint32_t PciConfigSpace::read(unsigned reg, unsigned size) const {
  uint32_t v = 0;
  for (unsigned i = 0; i < size && i < 4; ++i) {
    const unsigned at = reg + i;
    v |= uint32_t{at < kSize ? bytes_[at] : uint8_t{0xFF}} << (8 * i);
  }
  return v;
}

void PciConfigSpace::write(unsigned reg, unsigned size, uint32_t value) {
  for (unsigned i = 0; i < size && i < 4; ++i) {
    const unsigned at = reg + i;
    if (at >= kSize) break;
    const auto byte = static_cast<uint8_t>(value >> (8 * i));
    bytes_[at] = static_cast<uint8_t>((bytes_[at] & ~writable_[at]) | (byte & writable_[at]));
  }
}

void PciConfigSpace::set16(unsigned at, uint16_t v) {
  bytes_[at] = static_cast<uint8_t>(v);
  bytes_[at + 1] = static_cast<uint8_t>(v >> 8);
}

void PciConfigSpace::set32(unsigned at, uint32_t v) {
  set16(at, static_cast<uint16_t>(v));
  set16(at + 2, static_cast<uint16_t>(v >> 16));
}

void PciConfigSpace::writable32(unsigned at, uint32_t mask) {
  for (unsigned i = 0; i < 4; ++i) writable_[at + i] = static_cast<uint8_t>(mask >> (8 * i));
}

void PciConfigSpace::device_specific_writable() {
  std::fill(writable_.begin() + 0x40, writable_.end(), uint8_t{0xFF});
}

void PciConfigSpace::save(cpu::ByteWriter& w) const {
  w.bytes(bytes_);
}

void PciConfigSpace::load(cpu::ByteReader& r) {
  const auto bytes = r.bytes(kSize);
  if (bytes.size() != kSize) {
    r.fail();
    return;
  }
  for (unsigned i = 0; i < kSize; ++i) {
    if ((bytes[i] & ~writable_[i]) != (bytes_[i] & ~writable_[i])) r.fail();
  }
  if (!r.failed()) std::copy(bytes.begin(), bytes.end(), bytes_.begin());
}

}  // namespace vmlab::machine
