// CgaText: the colour text display of a PC, as a kernel that writes to the screen sees it.
//
// The text buffer is ordinary memory at physical 0xB8000: in 80x25 text mode (mode 3) each
// character cell is two bytes, the character (code page 437) then its attribute, row after
// row. A kernel writes there directly; the machine's RAM holds it (vmlab models no display
// adapter memory apart from RAM), and the screen is rendered from it when someone looks:
// `vmlab run --display text` at exit, the GUI while it runs.
//
// The Motorola 6845 CRT controller (on VGA, the CRTC registers behind ports 0x3D4/0x3D5)
// is the device: an index register at 0x3D4 selects one of its registers and 0x3D5 reads
// or writes it. Kernels use the start address (registers 0x0C and 0x0D, in characters) to
// scroll, the cursor location (0x0E and 0x0F) to move the cursor, and bit 5 of the Cursor
// Start register (0x0A), Cursor Off, to hide it (IBM VGA Technical Reference, "CRT
// Controller Registers"; GRUB Invaders does). This device keeps the 25 registers of a VGA
// CRTC (0x00-0x18), readable as QEMU's VGA makes them: they start as the BIOS leaves them
// after setting text mode 3 (the mode 3 parameter table SeaBIOS loads, kMode3), and while
// bit 7 of register 0x11 (Protect) is set, writes to registers 0x00-0x07 are ignored but
// for bit 4 of 0x07 (Line Compare bit 8), as on the VGA and in QEMU. An index beyond them
// reads all ones and ignores writes. The registers drive nothing else: there is no
// modelled raster, so timing registers are kept but have no effect.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "engine/cpu/state_codec.h"
#include "engine/machine/io_device.h"

namespace vmlab::machine {

class CgaText : public IoDevice {
 public:
  static constexpr uint16_t kIndexPort = 0x3D4;
  static constexpr uint16_t kPorts = 2;  // 0x3D4 index, 0x3D5 data
  static constexpr uint32_t kBufferAddr = 0xB8000;
  static constexpr uint32_t kBufferBytes = 0x8000;  // 0xB8000-0xBFFFF
  static constexpr uint16_t kColumns = 80;
  static constexpr uint8_t kRows = 25;
  static constexpr uint8_t kRegCursorStart = 0x0A, kRegStartHigh = 0x0C, kRegStartLow = 0x0D,
                           kRegCursorHigh = 0x0E, kRegCursorLow = 0x0F, kRegOverflow = 0x07,
                           kRegVerticalRetraceEnd = 0x11;
  static constexpr uint8_t kCursorOff = 0x20;        // register 0x0A bit 5
  static constexpr uint8_t kProtect = 0x80;          // register 0x11 bit 7: 0x00-0x07 locked
  static constexpr uint8_t kLineCompareBit8 = 0x10;  // register 0x07 bit 4: never locked
  static constexpr uint8_t kNumRegisters = 0x19;
  // Text mode 3 (80x25, 9x16 cells, 720x400) as the BIOS programs it: SeaBIOS's mode 3
  // parameter table, the VGA BIOS's, read back under qemu-system-i386 7.2 by
  // tests/kernels/crtc. The cursor location is 0: vmlab has no BIOS that printed a banner
  // (SeaBIOS leaves it below its two lines, 0x00A0).
  static constexpr std::array<uint8_t, kNumRegisters> kMode3 = {
      0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00,
      0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF};

  uint32_t io_read(uint16_t offset, unsigned size) override;
  void io_write(uint16_t offset, unsigned size, uint32_t value) override;

  uint8_t index() const { return index_; }
  uint8_t reg(uint8_t i) const { return i < kNumRegisters ? regs_[i] : 0xFF; }
  // The start address and the cursor location, in character cells from 0xB8000.
  uint16_t start_address() const;
  uint16_t cursor() const;
  // Whether the cursor is hidden (Cursor Off, register 0x0A bit 5).
  bool cursor_off() const { return (regs_[kRegCursorStart] & kCursorOff) != 0; }

  // The screen as UTF-8 text: kRows lines of the kColumns cells from `start` (a cell
  // index) in `buffer` (the kBufferBytes at 0xB8000), trailing blanks cut. Each cell shows
  // its code page 437 glyph (box drawing, blocks, accented letters); NUL and 0xFF show as
  // blanks. Cells beyond the buffer show as blanks. Attributes (colours) are not shown.
  static std::string render(std::span<const uint8_t> buffer, uint16_t start);

  // Saved state (device_state.cpp, docs/snapshots.md): every register and latch; load()
  // validates what it reads and fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  void write_register(uint8_t index, uint8_t value);
  uint8_t index_ = 0;
  std::array<uint8_t, kNumRegisters> regs_ = kMode3;
};

}  // namespace vmlab::machine
