// TextScreen: the CGA text screen of a live run (engine/machine/cga_text.h) as plain data for
// the Screen view: the 80x25 cells the CRTC's start address shows, each a character and its
// attribute, and the cursor the CRTC places. Taken on the worker thread while the Vm does not
// run, through the Vm's inspection seam (Vm::read_guest_physical for the buffer at 0xB8000,
// as `vmlab run --display text` reads it) and the machine's CRTC registers.
#pragma once

#include <QColor>
#include <QString>
#include <QStringList>
#include <array>
#include <cstdint>

#include "engine/machine/cga_text.h"

namespace vmlab::vmm {
class Vm;
}

namespace vmlab::gui {

struct TextScreen {
  static constexpr int kColumns = machine::CgaText::kColumns;
  static constexpr int kRows = machine::CgaText::kRows;
  // Character (low byte) and attribute (high byte) of each cell, row after row, as in the
  // buffer; cells beyond the buffer (a start address near its end) are 0.
  std::array<uint16_t, size_t{kColumns} * kRows> cells{};
  // False when the buffer could not be read (not backed by guest RAM): cells stay 0.
  bool readable = false;
  // The cursor as a cell of the screen (its location less the start address); visible is
  // false when Cursor Off (register 0x0A bit 5) is set or it lies outside the 80x25 cells.
  bool cursor_visible = false;
  int cursor_row = 0;
  int cursor_column = 0;
  // The cursor's scan lines within a cell of `cell_lines` (CRTC registers 0x0A and 0x0B, bits
  // 0-4, and the Maximum Scan Line register 0x09 bits 0-4 plus one): 13-14 of 16 in mode 3.
  // The VGA draws no cursor when the start lies below the end.
  int cursor_start = 0;
  int cursor_end = 0;
  int cell_lines = 16;

  uint8_t character(int row, int column) const { return cells[index(row, column)] & 0xFF; }
  uint8_t attribute(int row, int column) const { return cells[index(row, column)] >> 8; }
  // The rows as text, 80 characters each: each cell's code page 437 glyph as
  // machine::CgaText::render shows it (NUL and 0xFF blank).
  QStringList rows;
  QChar glyph(int row, int column) const { return rows[row][column]; }
  bool operator==(const TextScreen&) const = default;

 private:
  static size_t index(int row, int column) { return size_t(row) * kColumns + size_t(column); }
};

// The 16 colours of the CGA palette (IBM CGA Technical Reference, "Color/Graphics Monitor
// Adapter", the RGBI signals: colour 6 brown, its green halved, as the IBM 5153 shows it).
QColor cga_colour(int index);
// An attribute's colours in text mode with blinking enabled, as the BIOS leaves mode 3:
// foreground bits 0-3, background bits 4-6; bit 7 (blink) is ignored (the character shows
// steadily, never blinks and does not brighten the background).
QColor foreground_of(uint8_t attribute);
QColor background_of(uint8_t attribute);

// Owning thread, Vm not running.
TextScreen take_text_screen(const vmm::Vm& vm);

}  // namespace vmlab::gui
