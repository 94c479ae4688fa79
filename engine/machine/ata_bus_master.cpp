#include "engine/machine/ata_bus_master.h"

#include <algorithm>

namespace vmlab::machine {

namespace {

constexpr unsigned kBar4 = 0x20;

}  // namespace

AtaBusMaster::AtaBusMaster(std::function<bool(uint16_t, uint16_t)> relocate)
    : relocate_(std::move(relocate)) {
  // The type-0 header of the 82371SB IDE function as QEMU 7.2 and SeaBIOS leave it.
  config_.set16(0x00, 0x8086);              // vendor: Intel
  config_.set16(0x02, 0x7010);              // device: 82371SB PIIX3 IDE
  config_.set16(0x04, 0x0103);              // command: I/O and memory space, SERR# enable
  config_.set16(0x06, 0x0280);              // status: fast back-to-back capable, DEVSEL medium
  config_.set8(0x09, 0x80);                 // programming interface: bus master, legacy channels
  config_.set8(0x0A, 0x01);                 // IDE controller
  config_.set8(0x0B, 0x01);                 // mass storage
  config_.set32(kBar4, kDefaultBase | 1u);  // BAR4: I/O space
  config_.set16(0x2C, 0x1AF4);              // subsystem vendor (QEMU's)
  config_.set16(0x2E, 0x1100);              // subsystem
  config_.set16(0x40, 0x8000);              // IDETIM primary: decode enabled
  config_.set16(0x42, 0x8000);              // IDETIM secondary
  config_.writable8(0x04, 0x07);            // I/O, memory, bus master
  config_.writable8(0x05, 0x05);            // SERR#, interrupt disable
  config_.writable8(0x0C, 0xFF);
  config_.writable8(0x3C, 0xFF);
  config_.writable32(kBar4, ~uint32_t{kPorts - 1} & ~1u);  // 16 bytes; bit 0 (I/O) fixed
  config_.device_specific_writable();
}

uint32_t AtaBusMaster::config_read(unsigned reg, unsigned size) const {
  return config_.read(reg, size);
}

void AtaBusMaster::config_write(unsigned reg, unsigned size, uint32_t value) {
  config_.write(reg, size, value);
  update_decoding();
}

// The block answers at BAR4's base while I/O space is on and the range is a real one
// (PCI 3.0, 6.2.5.1: a BAR of all zeros, or one past the 64 KiB I/O space, decodes nothing).
void AtaBusMaster::update_decoding() {
  if (!attached_) return;
  const uint32_t bar = config_.dword(kBar4) & ~uint32_t{kPorts - 1};
  uint16_t want = 0;
  if ((config_.byte(4) & 0x01) && bar != 0 && uint64_t{bar} + kPorts <= 0x10000) {
    want = static_cast<uint16_t>(bar);
  }
  if (want == decoded_) return;
  const uint16_t old = decoded_;
  decoded_ = 0;
  if (relocate_ && relocate_(old, want)) decoded_ = want;
}

uint32_t AtaBusMaster::io_read(uint16_t offset, unsigned size) {
  const Channel& c = channels_[(offset >> 3) & 1];
  const unsigned reg = offset & 7;
  if (reg >= kPrdAddress) {
    // The address register answers any size at its byte lanes.
    uint32_t v = 0;
    for (unsigned i = 0; i < size && reg + i < 8; ++i) {
      v |= ((c.prd >> (8 * (reg - kPrdAddress + i))) & 0xFF) << (8 * i);
    }
    return v;
  }
  if (size != 1) return 0xFFFFFFFFu;
  if (reg == kCommand) return c.command;
  if (reg == kStatus) return c.status;
  return 0xFF;
}

void AtaBusMaster::io_write(uint16_t offset, unsigned size, uint32_t value) {
  const unsigned index = (offset >> 3) & 1;
  Channel& c = channels_[index];
  const unsigned reg = offset & 7;
  if (reg >= kPrdAddress) {
    for (unsigned i = 0; i < size && reg + i < 8; ++i) {
      const unsigned shift = 8 * (reg - kPrdAddress + i);
      c.prd = (c.prd & ~(0xFFu << shift)) | (((value >> (8 * i)) & 0xFFu) << shift);
    }
    c.prd &= ~3u;  // dword aligned (SFF-8038i 2.3)
    return;
  }
  if (size != 1) return;
  const auto byte = static_cast<uint8_t>(value);
  if (reg == kStatus) {
    // Active is the engine's; error and interrupt clear where a one is written; the two
    // drive-capable bits are software's.
    c.status = static_cast<uint8_t>((byte & kCapable) | (c.status & kActive) |
                                    (c.status & ~byte & (kError | kInterrupt)));
    return;
  }
  if (reg != kCommand) return;
  const bool was_started = (c.command & kStart) != 0;
  c.command = byte & (kStart | kToMemory);
  if (was_started == ((byte & kStart) != 0)) return;  // start kept as it was: nothing new
  if (!(byte & kStart)) {
    // Stop: the engine lets go of the bus (a command still waiting keeps waiting).
    c.status &= static_cast<uint8_t>(~kActive);
    return;
  }
  c.prd_start = c.prd;
  c.status |= kActive;
  if (index == 0 && start_hook_) start_hook_();
}

AtaBusMaster::Plan AtaBusMaster::plan(uint32_t bytes, std::vector<Prd>& regions) const {
  regions.clear();
  if (memory_ == nullptr) return Plan::kMemoryError;
  uint64_t described = 0;  // bytes the table describes (up to its end or the fail-safe)
  uint32_t at = channels_[0].prd_start;
  for (unsigned i = 0; i < kMaxPrdEntries; ++i, at += 8) {
    std::array<uint8_t, 8> raw{};
    if (!memory_->read(at, raw)) return Plan::kMemoryError;
    const uint32_t address = (uint32_t{raw[0]} | uint32_t{raw[1]} << 8 | uint32_t{raw[2]} << 16 |
                              uint32_t{raw[3]} << 24) &
                             ~1u;
    const uint32_t size_word =
        uint32_t{raw[4]} | uint32_t{raw[5]} << 8 | uint32_t{raw[6]} << 16 | uint32_t{raw[7]} << 24;
    uint32_t count = size_word & 0xFFFEu;
    if (count == 0) count = 0x10000;
    if (described < bytes) {
      const auto take = static_cast<uint32_t>(std::min<uint64_t>(count, bytes - described));
      regions.push_back({address, take});
    }
    described += count;
    if (size_word & 0x80000000u) break;
  }
  if (described < bytes) return Plan::kShorter;
  return described > bytes ? Plan::kLonger : Plan::kExact;
}

bool AtaBusMaster::to_memory(const std::vector<Prd>& regions, std::span<const uint8_t> data) {
  size_t at = 0;
  for (const Prd& p : regions) {
    if (!memory_->write(p.address, data.subspan(at, p.bytes))) return false;
    at += p.bytes;
  }
  return true;
}

bool AtaBusMaster::from_memory(const std::vector<Prd>& regions, std::span<uint8_t> data) {
  size_t at = 0;
  for (const Prd& p : regions) {
    if (!memory_->read(p.address, data.subspan(at, p.bytes))) return false;
    at += p.bytes;
  }
  return true;
}

void AtaBusMaster::finish(bool stay_active, bool error) {
  ++transfers_;
  Channel& c = channels_[0];
  if (!stay_active) c.status &= static_cast<uint8_t>(~kActive);
  if (error) c.status |= kError;
}

}  // namespace vmlab::machine
