#include "engine/machine/pci_host_bridge.h"

namespace vmlab::machine {

namespace {

void put16(std::array<uint8_t, 256>& a, unsigned at, uint16_t v) {
  a[at] = static_cast<uint8_t>(v);
  a[at + 1] = static_cast<uint8_t>(v >> 8);
}

}  // namespace

PciHostBridge::PciHostBridge() {
  // The type-0 header (PCI 3.0, 6.1) of the 82441FX as QEMU 7.2 and SeaBIOS leave it.
  put16(config_, 0x00, 0x8086);  // vendor: Intel
  put16(config_, 0x02, 0x1237);  // device: 82441FX PMC (i440FX)
  put16(config_, 0x04, 0x0103);  // command: I/O and memory space, SERR# enable
  config_[0x08] = 0x02;          // revision
  config_[0x0B] = 0x06;          // class: bridge (0x06), host bridge (0x00), prog-if 0
  put16(config_, 0x2C, 0x1AF4);  // subsystem vendor (QEMU's)
  put16(config_, 0x2E, 0x1100);  // subsystem
  config_[0x57] = 0x10;          // DRAMC
  config_[0x59] = 0x10;          // PAM0 .. PAM6: the BIOS and option-ROM areas
  for (unsigned at = 0x5A; at <= 0x5E; ++at) config_[at] = 0x11;
  config_[0x5F] = 0x33;
  config_[0x72] = 0x0A;  // SMRAM: C_BASE_SEG = A0000
  // What QEMU lets software change: command bits 0-2 (I/O, memory, bus master), 8 (SERR#)
  // and 10 (interrupt disable), the cache line size, the interrupt line, and every byte of
  // the device-specific area.
  writable_[0x04] = 0x07;
  writable_[0x05] = 0x05;
  writable_[0x0C] = 0xFF;
  writable_[0x3C] = 0xFF;
  for (unsigned at = 0x40; at < 256; ++at) writable_[at] = 0xFF;
}

int PciHostBridge::target(uint16_t offset, PciFunction** function) const {
  *function = nullptr;
  if (!(address_ & 0x80000000u)) return -1;
  const uint32_t bus = (address_ >> 16) & 0xFF;
  const uint32_t devfn = (address_ >> 8) & 0xFF;
  if (bus != 0) return -1;
  if (devfn != 0) {
    if (other_ == nullptr || devfn != other_devfn_) return -1;
    *function = other_;
  }
  return static_cast<int>((address_ & 0xFC) + (offset & 3u));
}

uint32_t PciHostBridge::io_read(uint16_t offset, unsigned size) {
  if (offset < 4) return offset == 0 && size == 4 ? address_ : 0xFFFFFFFFu;
  PciFunction* function = nullptr;
  const int reg = target(offset, &function);
  if (reg < 0) return 0xFFFFFFFFu;
  if (function != nullptr) return function->config_read(static_cast<unsigned>(reg), size);
  // (An access at 0xCFD-0xCFF that runs past 0xCFF reads on into the next register; past
  // the end of the space, all ones.)
  uint32_t v = 0;
  for (unsigned i = 0; i < size; ++i) {
    const unsigned at = static_cast<unsigned>(reg) + i;
    v |= uint32_t{at < config_.size() ? config_[at] : uint8_t{0xFF}} << (8 * i);
  }
  return v;
}

void PciHostBridge::io_write(uint16_t offset, unsigned size, uint32_t value) {
  if (offset < 4) {
    if (offset == 0 && size == 4) address_ = value;
    return;
  }
  PciFunction* function = nullptr;
  const int reg = target(offset, &function);
  if (reg < 0) return;
  if (function != nullptr) return function->config_write(static_cast<unsigned>(reg), size, value);
  for (unsigned i = 0; i < size; ++i) {
    const unsigned at = static_cast<unsigned>(reg) + i;
    if (at >= config_.size()) break;
    const auto byte = static_cast<uint8_t>(value >> (8 * i));
    config_[at] = static_cast<uint8_t>((config_[at] & ~writable_[at]) | (byte & writable_[at]));
  }
}

}  // namespace vmlab::machine
