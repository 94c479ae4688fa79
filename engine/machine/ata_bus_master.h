// AtaBusMaster: the bus-master IDE function of the PC's PIIX3 (PCI 00:01.1, Intel 82371SB
// IDE, 8086:7010, class 01/01 with programming interface 0x80: legacy-mode channels and a
// bus master), the DMA engine beside the ATA controller (ata_controller.h), as QEMU's `pc`
// machine has it. It is presented only when a disk is attached.
//
// Configuration space (PCI Local Bus Specification 3.0, 6.1), in the state QEMU 7.2 and
// SeaBIOS leave it (read under QEMU by tests/kernels/ata_dma): command 0x0103 (I/O and
// memory space, SERR#; bus mastering off until the driver turns it on), status 0x0280, the
// IDE timing registers 0x40-0x43 = 0x8000 each (both channels' decode on), subsystem
// 1af4:1100 and BAR4, the bus-master register block: 16 I/O ports, at 0xC000 as SeaBIOS
// assigns it on QEMU's pc (vmlab has no BIOS: the base is fixed, the guest may move it).
// BAR4 is writable as PCI requires: writing all ones reads back 0xFFFFFFF1 (16 bytes of I/O
// space), and the block is decoded at the base BAR4 holds while command bit 0 (I/O space)
// is set, unless the range is 0, runs past port 0xFFFF or overlaps another device's ports
// (then nothing answers there). Software may change command bits 0-2, 8 and 10, the cache
// line size, the interrupt line, BAR4 and the device-specific bytes 0x40-0xFF, as QEMU lets
// it; BAR0-3 read 0 (the channels are in legacy mode, at 0x1F0/0x3F6 and 0x170/0x376).
// Function 0 of device 1 (the PIIX3's ISA bridge) is not presented: the guests vmlab runs
// address 00:01.1 directly.
//
// The register block ("Programming Interface for Bus Master IDE Controller", SFF-8038i rev.
// 1.0, section 2; the primary channel at offsets 0-7, the secondary at 8-15):
//   +0 command: bit 0 start/stop bus master, bit 3 direction (1: the drive writes memory);
//      the other bits read 0. Byte access only (a wider access reads all ones, writes go
//      nowhere, as in QEMU).
//   +2 status: bit 0 active (read only), bit 1 error and bit 2 interrupt (write one to
//      clear), bits 5 and 6 drive 0/1 DMA capable (software's to set). Byte access only.
//   +4 physical region descriptor (PRD) table address, a dword-aligned guest-physical
//      address (bits 1:0 read 0); any access size.
//   +1, +3 read 0xFF.
// A PRD is 8 bytes: a guest-physical address (bit 0 reserved, ignored), then a byte count
// in bits 15:1 (0 means 64 KiB) and the end-of-table bit 31. The secondary channel's
// registers work but it has no drives, so it never moves data.
//
// A transfer: the driver writes the PRD table's address, the direction, issues READ DMA
// (0xC8) or WRITE DMA (0xCA) to the drive and sets start; a start before the command works
// too (the transfer begins when both are there). The whole command then completes within
// the port write that made it possible, as the ATA controller's PIO commands do (the drive
// is never seen busy; its cost is the request's, event.blk_request). The engine walks the
// table from its start (at most 512 entries, one 4 KiB page, QEMU's fail-safe), and:
//   - the PRDs cover the transfer exactly: data moved, drive status DRDY, active cleared,
//     the drive interrupts (IRQ 14, and the interrupt bit);
//   - they cover more: the same, but active stays set (SFF-8038i 3.1);
//   - they cover less: nothing is moved, the drive ends without an error and without an
//     interrupt, active cleared (QEMU's behaviour; SFF-8038i leaves it to the drive);
//   - the sectors lie past the end of the image: the drive ends with ERR (IDNF) and
//     interrupts, nothing is moved, active cleared;
//   - a PRD or the table itself lies outside the guest's RAM (DmaMemory refuses it): the
//     error bit is set, active cleared, the drive ends with ERR and ABRT and interrupts;
//     what was moved before the failing region stays moved, as on a bus with a master
//     abort.
// The direction is the command's (READ DMA writes memory), as in QEMU; the direction bit is
// kept for the driver to read. The interrupt bit is set on every rising edge of the
// channel's interrupt line (a PIO command's too), as SFF-8038i and QEMU have it. Starting an
// engine that is already started, or writing the table address while it runs, changes
// nothing for the transfer under way (the address is latched at start). Clearing start with
// a command waiting keeps the command waiting. While the function's bus mastering is off
// (PCI command bit 2, as the firmware leaves it), the engine does not run: the command
// waits for it.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "engine/cpu/state_codec.h"
#include "engine/machine/dma_memory.h"
#include "engine/machine/io_device.h"
#include "engine/machine/pci_config_space.h"
#include "engine/machine/pci_host_bridge.h"

namespace vmlab::machine {

class AtaBusMaster : public IoDevice, public PciFunction {
 public:
  static constexpr uint16_t kDefaultBase = 0xC000;  // BAR4, as SeaBIOS assigns it
  static constexpr uint16_t kPorts = 16;
  static constexpr unsigned kPciDevice = 1, kPciFunction = 1;
  // QEMU's fail-safe: the walk stops after one page of PRDs (bmdma_prepare_buf).
  static constexpr unsigned kMaxPrdEntries = 512;
  // Register offsets within a channel, and their bits.
  enum Reg : uint16_t { kCommand = 0, kStatus = 2, kPrdAddress = 4 };
  static constexpr uint8_t kStart = 0x01, kToMemory = 0x08;
  static constexpr uint8_t kActive = 0x01, kError = 0x02, kInterrupt = 0x04, kCapable = 0x60;

  // What the walk of the PRD table found for a transfer of a given size.
  struct Prd {
    uint32_t address;
    uint32_t bytes;
  };
  enum class Plan : uint8_t { kExact, kLonger, kShorter, kMemoryError };

  // `relocate(old_base, new_base)` moves the block on the port bus: 0 is "not decoded";
  // it returns false when the new range cannot be decoded (the block then answers nowhere).
  explicit AtaBusMaster(std::function<bool(uint16_t, uint16_t)> relocate);

  // The memory the engine masters (guest-physical); the machine's own by default.
  void set_memory(DmaMemory* memory) { memory_ = memory; }
  // Called when start goes from 0 to 1 on the primary channel (the drive may go now).
  void set_start_hook(std::function<void()> hook) { start_hook_ = std::move(hook); }

  // --- The configuration space of 00:01.1 (the host bridge routes it here) -------------
  uint32_t config_read(unsigned reg, unsigned size) const override;
  void config_write(unsigned reg, unsigned size, uint32_t value) override;
  const std::array<uint8_t, 256>& config() const { return config_.bytes(); }
  // The function is on the bus (a disk is attached): from now on the register block is
  // decoded where the configuration says. A machine without a disk never calls it, and
  // nothing answers at 0xC000 there.
  void attach() {
    attached_ = true;
    update_decoding();
  }
  // Where the register block is decoded now (0: nowhere).
  uint16_t decoded_base() const { return decoded_; }

  // --- The register block (IoDevice, at BAR4) ------------------------------------------
  uint32_t io_read(uint16_t offset, unsigned size) override;
  void io_write(uint16_t offset, unsigned size, uint32_t value) override;

  // --- For the ATA controller's DMA commands (primary channel) -------------------------
  // Whether the engine is started with bus mastering on (PCI command bit 2): a waiting
  // command may go. (With no memory installed, every access of the transfer fails.)
  bool ready() const { return (channels_[0].command & kStart) && (config_.byte(4) & 0x04); }
  // Walks the PRD table for a transfer of `bytes`, filling `regions` with the pieces it
  // covers (at most the transfer).
  Plan plan(uint32_t bytes, std::vector<Prd>& regions) const;
  // Moves `data` to or from memory along `regions`; false at the first region the memory
  // refuses.
  bool to_memory(const std::vector<Prd>& regions, std::span<const uint8_t> data);
  bool from_memory(const std::vector<Prd>& regions, std::span<uint8_t> data);
  // The transfer is over: active cleared unless `stay_active`, the error bit if `error`.
  void finish(bool stay_active, bool error);
  // The channel's interrupt line rose.
  void interrupt() { channels_[0].status |= kInterrupt; }

  uint8_t status(unsigned channel) const { return channels_[channel & 1].status; }
  uint64_t transfers() const { return transfers_; }

  // Saved state (device_state.cpp, docs/snapshots.md).
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  struct Channel {
    uint8_t command = 0;
    uint8_t status = 0;
    uint32_t prd = 0;        // the table address register
    uint32_t prd_start = 0;  // latched at start
  };
  // Puts the register block where the configuration says (attach, config writes, a load).
  void update_decoding();

  std::function<bool(uint16_t, uint16_t)> relocate_;
  std::function<void()> start_hook_;
  DmaMemory* memory_ = nullptr;
  PciConfigSpace config_;
  std::array<Channel, 2> channels_{};
  bool attached_ = false;
  uint16_t decoded_ = 0;
  uint64_t transfers_ = 0;
};

}  // namespace vmlab::machine
