// Piix3IsaBridge: function 0 of the PIIX3 at PCI 00:01.0, the PCI-to-ISA bridge (Intel
// 82371SB, 8086:7000, class 06/01/00), presented with the IDE function 00:01.1
// (ata_bus_master.h) when the machine has a disk.
//
// Why it is there: a PCI scan looks at a device's functions 1-7 only when function 0
// answers with the multi-function bit of its header type (PCI 3.0, 6.2.1; Linux's
// pci_scan_slot stops at an absent function 0), so without it a kernel that scans the bus
// never finds the IDE function. Its header is the one QEMU 7.2's PIIX3 presents after
// SeaBIOS (tests/kernels/ata_dma dumps all 256 bytes under QEMU and in every mode, byte for
// byte): command 0x0103, status 0x0200, header type 0x80, QEMU's subsystem IDs (1af4:1100),
// and the device-specific registers SeaBIOS and the chip's reset leave: IORT 0x4D, XBCS
// 0x03, PIRQ route A-D to IRQ 10, 10, 11, 11, TOM 0x02, MBIRQ0 0x80, MBDMA 0x0C 0x0C, PCSC
// 0x02, SMICNTL 0x08, FTMR 0x0F. Software may write what QEMU lets it (command bits 0-2, 8
// and 10, cache line size, interrupt line, the device-specific area); the registers keep
// what is written and decode nothing: the PIC, PIT, DMA and RTC behind the bridge are
// vmlab's fixed ISA devices, the machine has no PCI device that raises INTx for the PIRQ
// routes to steer, and the IDE function's channels are in legacy mode (IRQ 14).
#pragma once

#include <cstdint>

#include "engine/cpu/state_codec.h"
#include "engine/machine/pci_config_space.h"
#include "engine/machine/pci_host_bridge.h"

namespace vmlab::machine {

class Piix3IsaBridge : public PciFunction {
 public:
  static constexpr unsigned kPciDevice = 1, kPciFunction = 0;

  Piix3IsaBridge();

  uint32_t config_read(unsigned reg, unsigned size) const override {
    return config_.read(reg, size);
  }
  void config_write(unsigned reg, unsigned size, uint32_t value) override {
    config_.write(reg, size, value);
  }
  const std::array<uint8_t, 256>& config() const { return config_.bytes(); }

  // Saved state (device_state.cpp): the configuration space, its read-only bits checked.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  PciConfigSpace config_;
};

}  // namespace vmlab::machine
