#include "engine/machine/pci_host_bridge.h"

namespace vmlab::machine {

PciHostBridge::PciHostBridge() {
  // The type-0 header (PCI 3.0, 6.1) of the 82441FX as QEMU 7.2 and SeaBIOS leave it.
  config_.set16(0x00, 0x8086);  // vendor: Intel
  config_.set16(0x02, 0x1237);  // device: 82441FX PMC (i440FX)
  config_.set16(0x04, 0x0103);  // command: I/O and memory space, SERR# enable
  config_.set8(0x08, 0x02);     // revision
  config_.set8(0x0B, 0x06);     // class: bridge (0x06), host bridge (0x00), prog-if 0
  config_.set16(0x2C, 0x1AF4);  // subsystem vendor (QEMU's)
  config_.set16(0x2E, 0x1100);  // subsystem
  config_.set8(0x57, 0x10);     // DRAMC
  config_.set8(0x59, 0x10);     // PAM0 .. PAM6: the BIOS and option-ROM areas
  for (unsigned at = 0x5A; at <= 0x5E; ++at) config_.set8(at, 0x11);
  config_.set8(0x5F, 0x33);
  config_.set8(0x72, 0x0A);  // SMRAM: C_BASE_SEG = A0000
  // What QEMU lets software change: command bits 0-2 (I/O, memory, bus master), 8 (SERR#)
  // and 10 (interrupt disable), the cache line size, the interrupt line, and every byte of
  // the device-specific area.
  config_.writable8(0x04, 0x07);
  config_.writable8(0x05, 0x05);
  config_.writable8(0x0C, 0xFF);
  config_.writable8(0x3C, 0xFF);
  config_.device_specific_writable();
}

bool PciHostBridge::attach_function(unsigned device, unsigned number, PciFunction* function) {
  const unsigned devfn = (device << 3) | number;
  if (devfn == 0 || devfn > 0xFF || other_count_ == kMaxFunctions) return false;
  for (unsigned i = 0; i < other_count_; ++i) {
    if (others_[i].devfn == devfn) return false;
  }
  others_[other_count_++] = {devfn, function};
  return true;
}

int PciHostBridge::target(uint16_t offset, PciFunction** function) const {
  *function = nullptr;
  if (!(address_ & 0x80000000u)) return -1;
  const uint32_t bus = (address_ >> 16) & 0xFF;
  const uint32_t devfn = (address_ >> 8) & 0xFF;
  if (bus != 0) return -1;
  if (devfn != 0) {
    for (unsigned i = 0; i < other_count_; ++i) {
      if (others_[i].devfn == devfn) *function = others_[i].function;
    }
    if (*function == nullptr) return -1;
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
  return config_.read(static_cast<unsigned>(reg), size);
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
  config_.write(static_cast<unsigned>(reg), size, value);
}

}  // namespace vmlab::machine
