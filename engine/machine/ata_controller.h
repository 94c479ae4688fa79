// AtaController: the primary ATA (IDE) channel of a PC, with a master and a slave drive
// backed by raw images (BlockImage), driven by programmed I/O.
//
// Ports (ATA/ATAPI-6, T13/1410D, section 7 "Register descriptions"; the PC/AT primary
// channel at 0x1F0-0x1F7 with its control block at 0x3F6, IRQ 14):
//   0x1F0 data (16-bit PIO)        0x1F1 error (read) / features (write)
//   0x1F2 sector count             0x1F3 LBA 7:0  (CHS sector number)
//   0x1F4 LBA 15:8 (cylinder low)  0x1F5 LBA 23:16 (cylinder high)
//   0x1F6 device: bit 4 selects the slave, bit 6 LBA addressing, bits 3:0 LBA 27:24 (head)
//   0x1F7 status (read; clears the pending interrupt) / command (write)
//   0x3F6 alternate status (read; leaves the interrupt alone) / device control (write:
//         bit 1 nIEN masks INTRQ, bit 2 SRST resets both drives)
// The controller is attached with the data block at offsets 0-7 and the control port at
// offset kControlOffset.
//
// Commands: READ SECTORS (0x20, 0x21), WRITE SECTORS (0x30, 0x31), READ MULTIPLE (0xC4),
// READ DMA (0xC8, 0xC9) and WRITE DMA (0xCA, 0xCB) with a bus master attached
// (ata_bus_master.h; aborted without one),
// WRITE MULTIPLE (0xC5), SET MULTIPLE MODE (0xC6), IDENTIFY DEVICE (0xEC), FLUSH CACHE
// (0xE7), READ VERIFY SECTORS (0x40, 0x41), INITIALIZE DEVICE PARAMETERS (0x91),
// RECALIBRATE (0x10-0x1F), SET FEATURES (0xEF), EXECUTE DEVICE DIAGNOSTIC (0x90). Any
// other command is aborted (ERR, error ABRT), as are the 48-bit ones. Addressing is LBA28
// or CHS on the geometry IDENTIFY reports (16 heads, 63 sectors per track); a sector count
// of 0 means 256.
//
// Timing: a command finishes within the OUT that issues it (the drive is never seen BSY);
// a PIO data-in command has its first block ready with DRQ at once, a data-out command
// asks for its first block at once. Interrupts follow the PIO protocols of ATA-6 9.5 and
// 9.6: data-in raises INTRQ as each block (one sector, or the multiple count) becomes
// ready; data-out raises it after each block written; non-data commands on completion.
//
// Errors: each block (one sector, or the multiple count) is checked as it comes due, as
// QEMU's IDE does: a read that runs past the end of the image (or past LBA28's 2^28
// sectors) delivers the blocks before the end and then ends with ERR and IDNF ("ID not
// found", which ATA-6 allows instead of ABRT for an address outside the user-accessible
// range; QEMU reports ABRT); a write takes each block's data and then writes it, or ends
// with IDNF without touching the image if the block lies past the end. While DRQ is set,
// writes to the task file registers are ignored, as QEMU ignores them. A write to a
// read-only drive (at once, before any data), READ/WRITE MULTIPLE before SET MULTIPLE, a
// bad multiple count and a failed host read or write end with ERR and ABRT. Every register
// value comes from the guest: nothing the guest writes can make the controller read or
// write outside its 512-byte-aligned buffer or outside the image.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>

#include "engine/cpu/state_codec.h"
#include "engine/machine/ata_bus_master.h"
#include "engine/machine/block_image.h"
#include "engine/machine/io_device.h"
#include "engine/machine/io_observer.h"

namespace vmlab::machine {

class AtaController : public IoDevice {
 public:
  static constexpr uint16_t kCommandBase = 0x1F0;
  static constexpr uint16_t kControlPort = 0x3F6;
  static constexpr uint16_t kControlOffset = 8;
  static constexpr unsigned kIrq = 14;
  // The largest SET MULTIPLE count (IDENTIFY word 47), QEMU's MAX_MULT_SECTORS.
  static constexpr unsigned kMaxMultiple = 16;
  static constexpr unsigned kHeads = 16, kSectorsPerTrack = 63;
  static constexpr uint32_t kLba28Limit = 1u << 28;

  // Register offsets in the command block.
  enum Reg : uint16_t {
    kData = 0,
    kError = 1,
    kFeatures = 1,
    kSectorCount = 2,
    kLbaLow = 3,
    kLbaMid = 4,
    kLbaHigh = 5,
    kDevice = 6,
    kStatus = 7,
    kCommand = 7,
  };
  // Status bits.
  static constexpr uint8_t kBsy = 0x80, kDrdy = 0x40, kDf = 0x20, kDsc = 0x10, kDrq = 0x08,
                           kErr = 0x01;
  // Error bits.
  static constexpr uint8_t kAbrt = 0x04, kIdnf = 0x10;
  // Device control bits.
  static constexpr uint8_t kNien = 0x02, kSrst = 0x04;

  // `set_irq(level)` drives IRQ 14.
  explicit AtaController(std::function<void(bool)> set_irq);

  // Called with every command a present drive takes (its operation, sectors and command
  // byte), before the command runs: the machine reports it to the monitor's observer.
  void set_request_hook(std::function<void(const BlockRequest&)> hook) {
    request_hook_ = std::move(hook);
  }

  // The bus-master IDE function that moves the data of the DMA commands (nullptr: none,
  // and READ/WRITE DMA are aborted). IDENTIFY reports DMA only with one.
  void set_bus_master(AtaBusMaster* bus_master) { bus_master_ = bus_master; }
  // The bus master was started: a DMA command waiting for it runs now.
  void run_dma();

  // Puts an image in position 0 (master) or 1 (slave).
  void attach_drive(unsigned index, std::unique_ptr<BlockImage> image);
  bool has_drive(unsigned index) const { return index < 2 && drives_[index].image != nullptr; }
  BlockImage* image(unsigned index) { return index < 2 ? drives_[index].image.get() : nullptr; }

  uint32_t io_read(uint16_t offset, unsigned size) override;
  void io_write(uint16_t offset, unsigned size, uint32_t value) override;

  // For tests and the monitor's statistics.
  uint64_t commands() const { return commands_; }
  uint64_t data_words() const { return data_words_; }
  uint64_t aborted() const { return aborted_; }
  bool irq_line() const { return irq_level_; }

  // Saved state (device_state.cpp, docs/snapshots.md): every register and latch; load()
  // validates what it reads and fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  struct Drive {
    std::unique_ptr<BlockImage> image;
    uint8_t status = kDrdy | kDsc;
    uint8_t error = 0x01;   // diagnostic passed
    unsigned multiple = 0;  // SET MULTIPLE count; 0: multiple mode off
  };
  // kDma: a READ/WRITE DMA command waits for the bus master to be started.
  enum class Transfer { kNone, kIn, kOut, kDma };

  Drive& drive() { return drives_[selected_]; }
  bool present() const { return drives_[selected_].image != nullptr; }
  // Whether the selected drive answers the host: a present drive, or an absent master
  // beside a present slave. QEMU's IDE keeps both devices' registers on a channel with
  // any drive (the absent master reads its status, DRDY|DSC after a reset, and the task
  // file, and aborts every command); only an absent slave, or a channel without drives,
  // reads 0. xv6 with its file system on disk 1 (`-drive ...,index=1`) waits for the
  // master's DRDY before it selects the slave.
  bool answers() const { return present() || (selected_ == 0 && drives_[1].image != nullptr); }
  // A command to the absent master: aborted (DRDY|ERR, error ABRT) with an interrupt, as
  // QEMU's ide_abort_command leaves an IDE device without a medium.
  void refuse();
  void execute(uint8_t command);
  void report(uint8_t command) const;
  // The addressed sector, from the task file (LBA28 or CHS); false if CHS names none.
  bool task_lba(uint64_t& lba) const;
  unsigned task_count() const { return sector_count_ == 0 ? 256 : sector_count_; }
  void start_read(unsigned block_sectors);
  void start_write(unsigned block_sectors);
  void start_dma(bool to_memory);
  void load_read_block();
  // Whether the next `n` sectors from next_lba_ exist; if not, the command ends with IDNF.
  bool block_in_range(unsigned n);
  void finish_write_block();
  void identify();
  void abort(uint8_t error_bits);
  void complete();  // DRDY|DSC, no DRQ, interrupt
  void set_task_lba(uint64_t lba);
  uint16_t read_data();
  void write_data(uint16_t word);
  void raise_irq();
  void lower_irq();
  void update_irq_line();
  void reset();

  std::function<void(bool)> set_irq_;
  std::function<void(const BlockRequest&)> request_hook_;
  AtaBusMaster* bus_master_ = nullptr;
  bool dma_to_memory_ = false;  // the waiting DMA command is a read
  std::array<Drive, 2> drives_;
  unsigned selected_ = 0;
  // The task file, shared by both drives as on the cable (each drive latches the writes).
  uint8_t features_ = 0, sector_count_ = 0, lba_low_ = 0, lba_mid_ = 0, lba_high_ = 0, device_ = 0;
  uint8_t control_ = 0;
  // The PIO transfer in progress.
  Transfer transfer_ = Transfer::kNone;
  std::array<uint8_t, kMaxMultiple * BlockImage::kSectorSize> buffer_{};
  size_t buffer_pos_ = 0, buffer_len_ = 0;  // bytes
  uint64_t next_lba_ = 0;
  unsigned sectors_left_ = 0, block_sectors_ = 1;
  bool intrq_ = false;      // the selected drive's INTRQ, before nIEN
  bool irq_level_ = false;  // the line as driven
  uint64_t commands_ = 0, data_words_ = 0, aborted_ = 0;
};

}  // namespace vmlab::machine
