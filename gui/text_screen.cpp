#include "gui/text_screen.h"

#include <vector>

#include "engine/vmm/core/vm.h"

namespace vmlab::gui {

namespace {
// The CRTC's Maximum Scan Line and Cursor End registers (IBM VGA Technical Reference, "CRT
// Controller Registers").
constexpr uint8_t kRegMaxScanLine = 0x09;
constexpr uint8_t kRegCursorEnd = 0x0B;
}  // namespace

QColor cga_colour(int index) {
  // RGBI: each of red, green, blue at 2/3 (0xAA), intensity adds 1/3 (0x55) to all three.
  static constexpr uint32_t kPalette[16] = {
      0x000000, 0x0000AA, 0x00AA00, 0x00AAAA, 0xAA0000, 0xAA00AA, 0xAA5500, 0xAAAAAA,
      0x555555, 0x5555FF, 0x55FF55, 0x55FFFF, 0xFF5555, 0xFF55FF, 0xFFFF55, 0xFFFFFF};
  return QColor::fromRgb(kPalette[index & 0x0F]);
}

QColor foreground_of(uint8_t attribute) {
  return cga_colour(attribute & 0x0F);
}

QColor background_of(uint8_t attribute) {
  return cga_colour(attribute >> 4 & 0x07);
}

TextScreen take_text_screen(const vmm::Vm& vm) {
  using machine::CgaText;
  TextScreen s;
  const CgaText& cga = vm.machine().cga_text();
  std::vector<uint8_t> buffer(CgaText::kBufferBytes);
  s.readable = vm.read_guest_physical(CgaText::kBufferAddr, buffer);
  const uint32_t start = cga.start_address();
  if (s.readable) {
    for (size_t i = 0; i < s.cells.size(); ++i) {
      const uint64_t at = (uint64_t{start} + i) * 2;
      if (at + 1 < buffer.size())
        s.cells[i] = static_cast<uint16_t>(buffer[at + 1] << 8 | buffer[at]);
    }
  }
  // render() gives every cell one code point of the Basic Multilingual Plane, so a row's
  // QString has one QChar per column once its cut trailing blanks are put back.
  const std::span<const uint8_t> shown =
      s.readable ? std::span<const uint8_t>(buffer) : std::span<const uint8_t>();
  s.rows =
      QString::fromStdString(CgaText::render(shown, cga.start_address())).split(QLatin1Char('\n'));
  s.rows.resize(TextScreen::kRows);
  for (QString& row : s.rows) row = row.leftJustified(TextScreen::kColumns, QLatin1Char(' '));
  const uint16_t cursor = static_cast<uint16_t>(cga.cursor() - cga.start_address());
  s.cursor_row = cursor / TextScreen::kColumns;
  s.cursor_column = cursor % TextScreen::kColumns;
  s.cursor_start = cga.reg(CgaText::kRegCursorStart) & 0x1F;
  s.cursor_end = cga.reg(kRegCursorEnd) & 0x1F;
  s.cell_lines = (cga.reg(kRegMaxScanLine) & 0x1F) + 1;
  s.cursor_visible = !cga.cursor_off() && s.cursor_row < TextScreen::kRows &&
                     s.cursor_start <= s.cursor_end && s.cursor_start < s.cell_lines;
  return s;
}

}  // namespace vmlab::gui
