// PciHostBridge: PCI configuration mechanism #1 (ports 0xCF8-0xCFF) with one device, the
// host bridge at bus 0, device 0, function 0, as QEMU's i440FX machine presents it.
//
// Mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2): a 32-bit write to 0xCF8
// (CONFIG_ADDRESS) selects bus (23:16), device (15:11), function (10:8) and dword register
// (7:2), bit 31 enabling the data window; 0xCFC-0xCFF (CONFIG_DATA) then read and write
// that dword, a byte or word at its offset. Only a 32-bit access reaches CONFIG_ADDRESS
// (reads of other sizes give all ones and writes are dropped, as QEMU's host does); with
// bit 31 clear, or for a function where no device answers, the data window reads all ones
// (the master abort of a configuration read) and drops writes.
//
// Why a host bridge and not "no device": Linux's type-1 probe (arch/x86/pci/direct.c)
// accepts mechanism #1 only when a scan of bus 0 finds a host bridge or a VGA class
// device, or an Intel or Compaq vendor ID; with all ones it reports "PCI: Fatal: No
// config space access function found". The bridge is the one QEMU's default PC has, so a
// kernel sees on vmlab what it sees under qemu-system-i386: an Intel 82441FX (i440FX,
// 8086:1237 revision 2, class 06/00/00) with QEMU's subsystem IDs (1af4:1100), in the state
// QEMU 7.2 and its SeaBIOS leave it (command 0x0103, the PAM registers 0x59-0x5F and SMRAM
// 0x72 as SeaBIOS programs them), and the registers QEMU lets software write (command
// bits 0-2, 8 and 10; cache line size; interrupt line; the device-specific 0x40-0xFF), as
// tests/kernels/pci reads them under QEMU (pci_kernel_matches_qemu). The bridge decodes
// nothing: the PAM and SMRAM registers are kept, with no effect on the memory map (vmlab
// has no ROM shadowing or SMM). Other functions may be attached on bus 0 (attach_function:
// with a disk, the PIIX3's ISA bridge 00:01.0, piix3_isa_bridge.h, and its IDE function
// 00:01.1, ata_bus_master.h); there are no other buses.
#pragma once

#include <array>
#include <cstdint>

#include "engine/cpu/state_codec.h"
#include "engine/machine/io_device.h"
#include "engine/machine/pci_config_space.h"

namespace vmlab::machine {

// A function on bus 0 besides the bridge: its 256-byte configuration space.
class PciFunction {
 public:
  virtual ~PciFunction() = default;
  virtual uint32_t config_read(unsigned reg, unsigned size) const = 0;
  virtual void config_write(unsigned reg, unsigned size, uint32_t value) = 0;
};

class PciHostBridge : public IoDevice {
 public:
  static constexpr uint16_t kBase = 0xCF8;  // CONFIG_ADDRESS; CONFIG_DATA at 0xCFC
  static constexpr uint16_t kPorts = 8;

  PciHostBridge();

  static constexpr unsigned kMaxFunctions = 4;  // besides the bridge

  // Puts `function` at 00:`device`.`number` (not 00:00.0; a device's function 0 must be
  // multi-function for a scan to look at its others, as on real buses). Returns false when
  // the slot is taken or kMaxFunctions are attached.
  bool attach_function(unsigned device, unsigned number, PciFunction* function);

  uint32_t io_read(uint16_t offset, unsigned size) override;
  void io_write(uint16_t offset, unsigned size, uint32_t value) override;

  // The configuration space of 00:00.0 and the address register (inspection, snapshots).
  const std::array<uint8_t, 256>& config() const { return config_.bytes(); }
  uint32_t address() const { return address_; }

  // Saved state (device_state.cpp, docs/snapshots.md): every register and latch; load()
  // validates what it reads and fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  // The register offset the data window at `offset` (4..7) addresses, or -1 when nothing
  // answers there.
  // `function` receives the function that answers (the bridge: nullptr).
  int target(uint16_t offset, PciFunction** function) const;

  struct Slot {
    unsigned devfn;
    PciFunction* function;
  };

  uint32_t address_ = 0;
  PciConfigSpace config_;
  std::array<Slot, kMaxFunctions> others_{};
  unsigned other_count_ = 0;
};

}  // namespace vmlab::machine
