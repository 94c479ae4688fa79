#include "engine/machine/fw_cfg.h"

namespace vmlab::machine {

namespace {

std::vector<uint8_t> little_endian(uint64_t v, unsigned bytes) {
  std::vector<uint8_t> out(bytes);
  for (unsigned i = 0; i < bytes; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
  return out;
}

}  // namespace

FwCfg::FwCfg(uint64_t ram_bytes)
    : signature_{'Q', 'E', 'M', 'U'},
      id_(little_endian(1, 4)),  // bit 0: the traditional interface; no DMA
      ram_size_(little_endian(ram_bytes, 8)),
      no_graphic_(little_endian(1, 2)),  // vmlab has no display
      nb_cpus_(little_endian(1, 2)),
      max_cpus_(little_endian(1, 2)),
      file_dir_(4, 0) {}  // a big-endian count of 0 files

const std::vector<uint8_t>* FwCfg::item(uint16_t selector) const {
  // Bit 14 selects writing and bit 15 the architecture-specific items (fw_cfg.rst); the
  // items here are generic and read-only.
  switch (selector & 0x3FFF) {
    case kSignature: return &signature_;
    case kId: return &id_;
    case kRamSize: return &ram_size_;
    case kNoGraphic: return &no_graphic_;
    case kNbCpus: return &nb_cpus_;
    case kMaxCpus: return &max_cpus_;
    case kFileDir: return &file_dir_;
    default: return nullptr;
  }
}

uint32_t FwCfg::io_read(uint16_t offset, unsigned size) {
  if (offset == 0) return 0;  // the selector register is write-only
  // The data register is 8 bits wide: a wider read returns that many bytes, in order.
  uint32_t value = 0;
  const std::vector<uint8_t>* it = (selector_ & 0x8000) ? nullptr : item(selector_);
  for (unsigned i = 0; i < size; ++i) {
    const uint8_t b = it && offset_ < it->size() ? (*it)[offset_] : 0;
    if (it && offset_ < it->size()) ++offset_;
    value |= uint32_t{b} << (8 * i);
  }
  return value;
}

void FwCfg::io_write(uint16_t offset, unsigned, uint32_t value) {
  if (offset != 0) return;  // writes to the data register are ignored (QEMU 2.4 and later)
  selector_ = static_cast<uint16_t>(value);
  offset_ = 0;
}

}  // namespace vmlab::machine
