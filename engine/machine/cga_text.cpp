#include "engine/machine/cga_text.h"

namespace vmlab::machine {

// A wider access is a sequence of byte accesses to consecutive ports, lowest first: so
// OUT DX, AX at 0x3D4 (the idiom kernels use to set a CRTC register in one instruction)
// writes the index, then the selected register. Ports past 0x3D5 hold nothing.
uint32_t CgaText::io_read(uint16_t offset, unsigned size) {
  uint32_t v = 0;
  for (unsigned i = 0; i < size; ++i) {
    const uint32_t port = offset + i;
    const uint8_t byte = port == 0 ? index_ : port == 1 ? reg(index_) : 0xFF;
    v |= uint32_t{byte} << (8 * i);
  }
  return v;
}

void CgaText::io_write(uint16_t offset, unsigned size, uint32_t value) {
  for (unsigned i = 0; i < size; ++i) {
    const uint32_t port = offset + i;
    const auto byte = static_cast<uint8_t>(value >> (8 * i));
    if (port == 0) {
      index_ = byte;
    } else if (port == 1 && index_ < kNumRegisters) {
      regs_[index_] = byte;
    }
  }
}

uint16_t CgaText::start_address() const {
  return static_cast<uint16_t>(regs_[kRegStartHigh] << 8 | regs_[kRegStartLow]);
}

uint16_t CgaText::cursor() const {
  return static_cast<uint16_t>(regs_[kRegCursorHigh] << 8 | regs_[kRegCursorLow]);
}

std::string CgaText::render(std::span<const uint8_t> buffer, uint16_t start) {
  std::string out;
  for (uint32_t row = 0; row < kRows; ++row) {
    std::string line;
    for (uint32_t col = 0; col < kColumns; ++col) {
      const uint64_t at = (uint64_t{start} + row * kColumns + col) * 2;
      const uint8_t c = at < buffer.size() ? buffer[at] : 0;
      line.push_back(c == 0 ? ' ' : (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '?');
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  return out;
}

}  // namespace vmlab::machine
