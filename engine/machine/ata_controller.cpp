#include "engine/machine/ata_controller.h"

#include <algorithm>
#include <cstring>
#include <span>
#include <vector>

namespace vmlab::machine {

namespace {

// ATA strings are stored two characters per word, the first in the high byte, padded
// with blanks (ATA-6 7.16.7.3, IDENTIFY DEVICE words 10-19, 23-26, 27-46).
void put_string(std::span<uint8_t> id, unsigned first_word, unsigned words, const char* text) {
  const size_t len = std::strlen(text);
  for (unsigned i = 0; i < words * 2; ++i) {
    const char c = i < len ? text[i] : ' ';
    id[2 * first_word + (i ^ 1)] = static_cast<uint8_t>(c);
  }
}

void put_word(std::span<uint8_t> id, unsigned word, uint16_t value) {
  id[2 * word] = static_cast<uint8_t>(value);
  id[2 * word + 1] = static_cast<uint8_t>(value >> 8);
}

}  // namespace

AtaController::AtaController(std::function<void(bool)> set_irq) : set_irq_(std::move(set_irq)) {}

void AtaController::attach_drive(unsigned index, std::unique_ptr<BlockImage> image) {
  if (index < 2) drives_[index].image = std::move(image);
}

uint32_t AtaController::io_read(uint16_t offset, unsigned size) {
  if (offset == kData) {
    if (size == 4) {
      const uint32_t lo = read_data();
      return lo | (static_cast<uint32_t>(read_data()) << 16);
    }
    const uint16_t w = read_data();
    return size == 1 ? (w & 0xFFu) : w;
  }
  // A drive that does not answer (an absent slave, or either drive of an empty channel)
  // reads 0, as QEMU's do; an absent master beside a present slave answers (answers()).
  if (offset == kControlOffset) return answers() ? drive().status : 0;
  if (!answers()) return 0;
  switch (offset) {
    case kError: return drive().error;
    case kSectorCount: return sector_count_;
    case kLbaLow: return lba_low_;
    case kLbaMid: return lba_mid_;
    case kLbaHigh: return lba_high_;
    case kDevice: return device_ | 0xA0;  // bits 7 and 5 read as one (obsolete, set)
    case kStatus: lower_irq(); return drive().status;
    default: return 0xFF;
  }
}

void AtaController::io_write(uint16_t offset, unsigned size, uint32_t value) {
  if (offset == kData) {
    if (size == 4) {
      write_data(static_cast<uint16_t>(value));
      write_data(static_cast<uint16_t>(value >> 16));
    } else {
      write_data(static_cast<uint16_t>(size == 1 ? value & 0xFF : value));
    }
    return;
  }
  const auto byte = static_cast<uint8_t>(value);
  // While a drive has data to move, writes to the command block registers but the command
  // register are ignored (the host must not make them, ATA-6 7.1; QEMU drops them).
  if (offset >= kFeatures && offset <= kDevice && present() && (drive().status & kDrq)) return;
  switch (offset) {
    case kFeatures: features_ = byte; break;
    case kSectorCount: sector_count_ = byte; break;
    case kLbaLow: lba_low_ = byte; break;
    case kLbaMid: lba_mid_ = byte; break;
    case kLbaHigh: lba_high_ = byte; break;
    case kDevice:
      device_ = byte;
      if (selected_ != ((byte >> 4) & 1u)) {
        // Selecting the other drive: its INTRQ is the one on the line now.
        intrq_ = false;
        selected_ = (byte >> 4) & 1u;
        update_irq_line();
      }
      break;
    case kCommand:
      if (present()) {
        execute(byte);
      } else if (answers()) {
        refuse();
      }
      break;
    case kControlOffset: {
      const bool was_reset = (control_ & kSrst) != 0;
      control_ = byte;
      if (!was_reset && (byte & kSrst)) reset();
      update_irq_line();
      break;
    }
    default: break;
  }
}

void AtaController::reset() {
  // ATA-6 9.2 software reset: both drives go back to their power-on state with the
  // signature of an ATA device in the task file, multiple mode kept.
  transfer_ = Transfer::kNone;
  buffer_pos_ = buffer_len_ = 0;
  sectors_left_ = 0;
  for (Drive& d : drives_) {
    d.status = kDrdy | kDsc;
    d.error = 0x01;
  }
  sector_count_ = 1;
  lba_low_ = 1;
  lba_mid_ = lba_high_ = 0;
  device_ = 0;
  selected_ = 0;
  intrq_ = false;
  update_irq_line();
}

// The request as the disk sees it: the data commands with their address and count, FLUSH
// CACHE, and every other command as one request without data.
void AtaController::report(uint8_t command) const {
  if (!request_hook_) return;
  BlockRequest r{BlockOp::kOther, 0, 0, command};
  switch (command) {
    case 0x20:
    case 0x21:
    case 0xC4:
    case 0xC8:
    case 0xC9: r.op = BlockOp::kRead; break;
    case 0x30:
    case 0x31:
    case 0xC5:
    case 0xCA:
    case 0xCB: r.op = BlockOp::kWrite; break;
    case 0xE7: r.op = BlockOp::kFlush; break;
    default: break;
  }
  if (r.op == BlockOp::kRead || r.op == BlockOp::kWrite || command == 0x40 || command == 0x41) {
    uint64_t lba = 0;
    if (task_lba(lba)) r.sector = lba;
    r.sectors = task_count();
  }
  request_hook_(r);
}

void AtaController::execute(uint8_t command) {
  ++commands_;
  report(command);
  Drive& d = drive();
  // A new command ends any transfer in progress.
  transfer_ = Transfer::kNone;
  buffer_pos_ = buffer_len_ = 0;
  sectors_left_ = 0;
  d.error = 0;
  lower_irq();
  switch (command) {
    case 0x20:
    case 0x21: start_read(1); return;
    case 0x30:
    case 0x31: start_write(1); return;
    case 0xC4:
      if (d.multiple == 0) return abort(kAbrt);
      start_read(d.multiple);
      return;
    case 0xC5:
      if (d.multiple == 0) return abort(kAbrt);
      start_write(d.multiple);
      return;
    case 0xC8:
    case 0xC9: start_dma(true); return;
    case 0xCA:
    case 0xCB: start_dma(false); return;
    case 0xC6: {
      // A power of two up to kMaxMultiple; 0 turns multiple mode off (ATA-6 8.38).
      const unsigned n = sector_count_;
      if (n > kMaxMultiple || (n & (n - 1)) != 0) return abort(kAbrt);
      d.multiple = n;
      return complete();
    }
    case 0xEC: identify(); return;
    case 0xE7:
      if (!d.image->flush()) return abort(kAbrt);
      return complete();
    case 0x40:
    case 0x41: {
      uint64_t lba = 0;
      if (!task_lba(lba) ||
          lba + task_count() > std::min<uint64_t>(d.image->sectors(), kLba28Limit)) {
        return abort(kIdnf);
      }
      return complete();
    }
    case 0x90:  // diagnostic: both drives pass (error 0x01), the master's task file reset
      d.error = 0x01;
      sector_count_ = 1;
      lba_low_ = 1;
      lba_mid_ = lba_high_ = 0;
      return complete();
    case 0x91:  // INITIALIZE DEVICE PARAMETERS: the geometry stays the reported one
    case 0xEF:  // SET FEATURES: accepted, nothing to change (no DMA, no cache setting)
      return complete();
    default:
      if ((command & 0xF0) == 0x10) return complete();  // RECALIBRATE
      return abort(kAbrt);
  }
}

bool AtaController::task_lba(uint64_t& lba) const {
  if (device_ & 0x40) {
    lba = (static_cast<uint64_t>(device_ & 0x0F) << 24) | (uint64_t{lba_high_} << 16) |
          (uint64_t{lba_mid_} << 8) | lba_low_;
    return true;
  }
  // CHS on the IDENTIFY geometry: sector numbers start at 1.
  const uint64_t cylinder = (uint64_t{lba_high_} << 8) | lba_mid_;
  const unsigned head = device_ & 0x0F;
  const unsigned sector = lba_low_;
  if (sector == 0 || sector > kSectorsPerTrack) return false;
  lba = (cylinder * kHeads + head) * kSectorsPerTrack + (sector - 1);
  return true;
}

void AtaController::set_task_lba(uint64_t lba) {
  // After an error, the task file holds the address of the failing sector (ATA-6 9.5).
  if (device_ & 0x40) {
    lba_low_ = static_cast<uint8_t>(lba);
    lba_mid_ = static_cast<uint8_t>(lba >> 8);
    lba_high_ = static_cast<uint8_t>(lba >> 16);
    device_ = static_cast<uint8_t>((device_ & 0xF0) | ((lba >> 24) & 0x0F));
  }
}

void AtaController::start_read(unsigned block_sectors) {
  uint64_t lba = 0;
  if (!task_lba(lba)) return abort(kIdnf);
  next_lba_ = lba;
  sectors_left_ = task_count();
  block_sectors_ = block_sectors;
  transfer_ = Transfer::kIn;
  load_read_block();
}

bool AtaController::block_in_range(unsigned n) {
  const uint64_t limit = std::min<uint64_t>(drive().image->sectors(), kLba28Limit);
  if (next_lba_ < limit && n <= limit - next_lba_) return true;
  set_task_lba(next_lba_);
  abort(kIdnf);
  return false;
}

void AtaController::load_read_block() {
  const unsigned n = std::min(block_sectors_, sectors_left_);
  if (!block_in_range(n)) return;
  const size_t bytes = size_t{n} * BlockImage::kSectorSize;
  if (!drive().image->read(next_lba_, std::span<uint8_t>(buffer_.data(), bytes))) {
    set_task_lba(next_lba_);
    return abort(kAbrt);
  }
  next_lba_ += n;
  sectors_left_ -= n;
  buffer_pos_ = 0;
  buffer_len_ = bytes;
  drive().status = kDrdy | kDsc | kDrq;
  raise_irq();
}

void AtaController::start_write(unsigned block_sectors) {
  if (drive().image->readonly()) return abort(kAbrt);
  uint64_t lba = 0;
  if (!task_lba(lba)) return abort(kIdnf);
  next_lba_ = lba;
  sectors_left_ = task_count();
  block_sectors_ = block_sectors;
  transfer_ = Transfer::kOut;
  buffer_pos_ = 0;
  buffer_len_ = size_t{std::min(block_sectors_, sectors_left_)} * BlockImage::kSectorSize;
  drive().status = kDrdy | kDsc | kDrq;  // no interrupt before the first block (ATA-6 9.6)
}

// READ DMA and WRITE DMA (ATA-6 8.26, 8.45; the DMA protocol of 9.7): the drive asks for
// the transfer (DRQ) and waits for the bus master; see ata_bus_master.h for what the
// transfer does. Without a bus master the commands are aborted, as before.
void AtaController::start_dma(bool to_memory) {
  if (bus_master_ == nullptr) return abort(kAbrt);
  if (!to_memory && drive().image->readonly()) return abort(kAbrt);
  uint64_t lba = 0;
  if (!task_lba(lba)) return abort(kIdnf);
  next_lba_ = lba;
  sectors_left_ = task_count();
  dma_to_memory_ = to_memory;
  transfer_ = Transfer::kDma;
  drive().status = kDrdy | kDsc | kDrq;
  run_dma();
}

void AtaController::run_dma() {
  if (transfer_ != Transfer::kDma || bus_master_ == nullptr || !bus_master_->ready()) return;
  transfer_ = Transfer::kNone;
  const uint32_t bytes = sectors_left_ * BlockImage::kSectorSize;
  std::vector<AtaBusMaster::Prd> regions;
  const AtaBusMaster::Plan plan = bus_master_->plan(bytes, regions);
  if (plan == AtaBusMaster::Plan::kMemoryError) {
    bus_master_->finish(false, true);
    return abort(kAbrt);
  }
  if (plan == AtaBusMaster::Plan::kShorter) {
    // The PRDs are too short for the command: nothing moves, the drive ends without an
    // interrupt (QEMU's ide_dma_cb).
    sectors_left_ = 0;
    drive().status = kDrdy | kDsc;
    bus_master_->finish(false, false);
    return;
  }
  if (!block_in_range(sectors_left_)) {
    bus_master_->finish(false, false);
    return;
  }
  std::vector<uint8_t> data(bytes);
  BlockImage& image = *drive().image;
  bool memory_ok = true;
  if (dma_to_memory_) {
    if (!image.read(next_lba_, data)) {
      bus_master_->finish(false, false);
      set_task_lba(next_lba_);
      return abort(kAbrt);
    }
    memory_ok = bus_master_->to_memory(regions, data);
  } else {
    memory_ok = bus_master_->from_memory(regions, data);
    if (memory_ok && !image.write(next_lba_, data)) {
      bus_master_->finish(false, false);
      set_task_lba(next_lba_);
      return abort(kAbrt);
    }
  }
  if (!memory_ok) {
    bus_master_->finish(false, true);
    return abort(kAbrt);
  }
  next_lba_ += sectors_left_;
  sectors_left_ = 0;
  bus_master_->finish(plan == AtaBusMaster::Plan::kLonger, false);
  complete();
}

void AtaController::finish_write_block() {
  const unsigned n = static_cast<unsigned>(buffer_len_ / BlockImage::kSectorSize);
  if (!block_in_range(n)) return;
  if (!drive().image->write(next_lba_, std::span<const uint8_t>(buffer_.data(), buffer_len_))) {
    set_task_lba(next_lba_);
    return abort(kAbrt);
  }
  next_lba_ += n;
  sectors_left_ -= n;
  buffer_pos_ = 0;
  if (sectors_left_ == 0) {
    transfer_ = Transfer::kNone;
    buffer_len_ = 0;
    return complete();
  }
  buffer_len_ = size_t{std::min(block_sectors_, sectors_left_)} * BlockImage::kSectorSize;
  drive().status = kDrdy | kDsc | kDrq;
  raise_irq();
}

void AtaController::identify() {
  std::span<uint8_t> id(buffer_.data(), BlockImage::kSectorSize);
  std::fill(id.begin(), id.end(), uint8_t{0});
  const uint64_t sectors = drive().image->sectors();
  const uint32_t lba28 = static_cast<uint32_t>(std::min<uint64_t>(sectors, kLba28Limit - 1));
  const uint64_t cylinders64 = sectors / (kHeads * kSectorsPerTrack);
  const uint16_t cylinders = static_cast<uint16_t>(std::clamp<uint64_t>(cylinders64, 1, 16383));
  const uint32_t chs_capacity = uint32_t{cylinders} * kHeads * kSectorsPerTrack;
  put_word(id, 0, 0x0040);  // fixed device, not removable
  put_word(id, 1, cylinders);
  put_word(id, 3, kHeads);
  put_word(id, 6, kSectorsPerTrack);
  put_string(id, 10, 10, selected_ == 0 ? "VMLAB-ATA-0" : "VMLAB-ATA-1");
  put_string(id, 23, 4, "1.0");
  put_string(id, 27, 20, "VMLAB HARDDISK");
  put_word(id, 47, 0x8000 | kMaxMultiple);
  // LBA supported; DMA (bit 8) with the bus master present.
  put_word(id, 49, static_cast<uint16_t>(bus_master_ != nullptr ? 0x0300 : 0x0200));
  put_word(id, 51, 0x0200);  // PIO timing mode 2
  put_word(id, 53, 0x0001);  // words 54-58 valid
  // Multiword DMA modes 0-2 supported, mode 2 selected (ATA-6 7.16.7.33), with a bus master.
  if (bus_master_ != nullptr) put_word(id, 63, 0x0407);
  put_word(id, 54, cylinders);
  put_word(id, 55, kHeads);
  put_word(id, 56, kSectorsPerTrack);
  put_word(id, 57, static_cast<uint16_t>(chs_capacity));
  put_word(id, 58, static_cast<uint16_t>(chs_capacity >> 16));
  const unsigned multiple = drive().multiple;
  put_word(id, 59, static_cast<uint16_t>(multiple ? 0x0100 | multiple : 0));
  put_word(id, 60, static_cast<uint16_t>(lba28));
  put_word(id, 61, static_cast<uint16_t>(lba28 >> 16));
  put_word(id, 80, 0x0070);  // ATA-4, ATA-5, ATA-6
  put_word(id, 82, 0x4000);
  put_word(id, 83, 0x5000);  // FLUSH CACHE supported (bit 12); bit 14 one
  put_word(id, 84, 0x4000);
  put_word(id, 85, 0x4000);
  put_word(id, 86, 0x1000);  // FLUSH CACHE enabled
  put_word(id, 87, 0x4000);
  // Word 255: integrity word, signature 0xA5 and a checksum that makes all bytes sum to
  // zero (ATA-6 7.16.7.85).
  id[510] = 0xA5;
  uint8_t sum = 0;
  for (size_t i = 0; i < 511; ++i) sum = static_cast<uint8_t>(sum + id[i]);
  id[511] = static_cast<uint8_t>(-sum);
  transfer_ = Transfer::kIn;
  sectors_left_ = 0;
  buffer_pos_ = 0;
  buffer_len_ = BlockImage::kSectorSize;
  drive().status = kDrdy | kDsc | kDrq;
  raise_irq();
}

void AtaController::refuse() {
  drive().error = kAbrt;
  drive().status = kDrdy | kErr;
  raise_irq();
}

void AtaController::abort(uint8_t error_bits) {
  ++aborted_;
  transfer_ = Transfer::kNone;
  buffer_pos_ = buffer_len_ = 0;
  sectors_left_ = 0;
  drive().error = error_bits;
  drive().status = kDrdy | kDsc | kErr;
  raise_irq();
}

void AtaController::complete() {
  drive().status = kDrdy | kDsc;
  raise_irq();
}

uint16_t AtaController::read_data() {
  if (!present() || transfer_ != Transfer::kIn || buffer_pos_ + 2 > buffer_len_) {
    return 0xFFFF;  // no data requested: the bus floats
  }
  ++data_words_;
  const uint16_t w =
      static_cast<uint16_t>(buffer_[buffer_pos_] | (uint16_t{buffer_[buffer_pos_ + 1]} << 8));
  buffer_pos_ += 2;
  if (buffer_pos_ == buffer_len_) {
    if (sectors_left_ > 0) {
      load_read_block();
    } else {
      transfer_ = Transfer::kNone;
      buffer_pos_ = buffer_len_ = 0;
      drive().status = kDrdy | kDsc;
    }
  }
  return w;
}

void AtaController::write_data(uint16_t word) {
  if (!present() || transfer_ != Transfer::kOut || buffer_pos_ + 2 > buffer_len_) return;
  ++data_words_;
  buffer_[buffer_pos_] = static_cast<uint8_t>(word);
  buffer_[buffer_pos_ + 1] = static_cast<uint8_t>(word >> 8);
  buffer_pos_ += 2;
  if (buffer_pos_ == buffer_len_) finish_write_block();
}

void AtaController::raise_irq() {
  intrq_ = true;
  // The bus master's interrupt bit follows the channel's line (SFF-8038i 2.2).
  if (bus_master_ != nullptr && !(control_ & kNien)) bus_master_->interrupt();
  if (irq_level_ && !(control_ & kNien) && set_irq_) {
    // A new interrupt while the line is still high (the guest never read the status):
    // pulse it, so the edge-triggered PIC sees it again.
    set_irq_(false);
    set_irq_(true);
    return;
  }
  update_irq_line();
}

void AtaController::lower_irq() {
  intrq_ = false;
  update_irq_line();
}

void AtaController::update_irq_line() {
  const bool level = intrq_ && !(control_ & kNien);
  if (level == irq_level_) return;
  irq_level_ = level;
  if (set_irq_) set_irq_(level);
}

}  // namespace vmlab::machine
