#include "engine/machine/cga_text.h"

#include <gtest/gtest.h>

#include <vector>

#include "engine/machine/bios_data_area.h"

namespace vmlab::machine {
namespace {

TEST(CgaTextTest, TheCursorRegistersReadBackThroughTheIndexPort) {
  CgaText crtc;
  crtc.io_write(0, 1, CgaText::kRegCursorHigh);
  crtc.io_write(1, 1, 0x07);
  crtc.io_write(0, 1, CgaText::kRegCursorLow);
  crtc.io_write(1, 1, 0xD0);
  EXPECT_EQ(crtc.cursor(), 0x07D0u);
  EXPECT_EQ(crtc.io_read(0, 1), CgaText::kRegCursorLow);
  EXPECT_EQ(crtc.io_read(1, 1), 0xD0u);
  // OUT DX, AX at 0x3D4: the index in AL, the register's value in AH.
  crtc.io_write(0, 2, 0x050C);
  EXPECT_EQ(crtc.start_address(), 0x0500u);
  EXPECT_EQ(crtc.io_read(0, 2), 0x050Cu);
  EXPECT_EQ(crtc.io_read(0, 4), 0xFFFF050Cu);  // nothing at 0x3D6-0x3D7
}

TEST(CgaTextTest, AnIndexBeyondTheRegistersReadsOnesAndIgnoresWrites) {
  CgaText crtc;
  crtc.io_write(0, 1, 0xFF);
  crtc.io_write(1, 1, 0x12);
  EXPECT_EQ(crtc.io_read(1, 1), 0xFFu);
  for (uint8_t i = 0; i < CgaText::kNumRegisters; ++i) EXPECT_EQ(crtc.reg(i), CgaText::kMode3[i]);
}

TEST(CgaTextTest, StartsAsTheBiosLeavesTextMode3) {
  CgaText crtc;
  // SeaBIOS's mode 3 table as QEMU reads it back (tests/kernels/crtc): 80 columns, a cursor
  // on scan lines 13-14 of 16, the timing registers protected.
  EXPECT_EQ(crtc.reg(0x01), 0x4Fu);  // horizontal display end: 80 characters - 1
  EXPECT_EQ(crtc.reg(0x0A), 0x0Du);  // cursor start
  EXPECT_EQ(crtc.reg(0x0B), 0x0Eu);  // cursor end
  EXPECT_EQ(crtc.reg(0x11), 0x8Eu);  // Protect set
  EXPECT_EQ(crtc.cursor(), 0u);
  EXPECT_EQ(crtc.start_address(), 0u);
  EXPECT_FALSE(crtc.cursor_off());
}

TEST(CgaTextTest, ProtectLocksTheTimingRegistersButLineCompareBit8) {
  CgaText crtc;
  crtc.io_write(0, 2, 0x0001);  // register 0x01 := 0: ignored
  EXPECT_EQ(crtc.reg(0x01), 0x4Fu);
  crtc.io_write(0, 2, 0x0007);  // register 0x07 := 0: only bit 4 changes
  EXPECT_EQ(crtc.reg(0x07), 0x0Fu);
  crtc.io_write(0, 2, 0x0E11);  // Protect off
  crtc.io_write(0, 2, 0x0001);
  EXPECT_EQ(crtc.reg(0x01), 0u);
  crtc.io_write(0, 2, 0x0008);  // register 0x08 was never protected
  EXPECT_EQ(crtc.reg(0x08), 0u);
}

TEST(CgaTextTest, CursorOffIsBit5OfCursorStart) {
  CgaText crtc;
  crtc.io_write(0, 1, CgaText::kRegCursorStart);
  crtc.io_write(1, 1, crtc.io_read(1, 1) | CgaText::kCursorOff);  // as GRUB Invaders does
  EXPECT_TRUE(crtc.cursor_off());
  EXPECT_EQ(crtc.reg(0x0A), 0x2Du);
  crtc.io_write(1, 1, 0x0D);
  EXPECT_FALSE(crtc.cursor_off());
}

TEST(CgaTextTest, RendersRowsFromTheStartAddress) {
  std::vector<uint8_t> buffer(CgaText::kBufferBytes, 0);
  const auto put = [&](uint32_t cell, const char* s) {
    for (uint32_t i = 0; s[i] != '\0'; ++i) {
      buffer[(cell + i) * 2] = static_cast<uint8_t>(s[i]);
      buffer[(cell + i) * 2 + 1] = 0x07;
    }
  };
  put(0, "top");
  put(80 + 3, "second\xDB\x01\xC9");
  put(CgaText::kColumns * CgaText::kRows, "below the screen");
  // A full block, a smiley and a double-line corner, in UTF-8.
  const std::string glyphs = "\xE2\x96\x88\xE2\x98\xBA\xE2\x95\x94";
  std::string want = "top\n   second" + glyphs + "\n";
  for (int i = 2; i < 25; ++i) want += "\n";
  EXPECT_EQ(CgaText::render(buffer, 0), want);
  // Scrolled by one row: the row below the first screen comes into view.
  const std::string scrolled = CgaText::render(buffer, 80);
  EXPECT_EQ(scrolled.substr(0, 21), "   second" + glyphs + "\n\n\n");
  EXPECT_EQ(scrolled.substr(scrolled.size() - 18), "\nbelow the screen\n");
  // Cells past the buffer (a start address near its end) show as blanks.
  EXPECT_EQ(CgaText::render(buffer, 0xFFFF), std::string(25, '\n'));
  EXPECT_EQ(CgaText::render({}, 0), std::string(25, '\n'));
}

TEST(BiosDataAreaTest, HoldsWhatSeaBiosLeavesOnQemusPc) {
  auto memory = PhysicalMemory::create(4);
  ASSERT_TRUE(memory.ok());
  PhysicalMemory& m = memory.value();
  write_bios_data_area(m);
  EXPECT_EQ(m.read32(0x400), 0x000003F8u);  // COM1, no COM2
  EXPECT_EQ(m.read32(0x404), 0u);           // no COM3, COM4
  EXPECT_EQ(m.read8(0x40E) | m.read8(0x40F) << 8, 0x9FC0);
  EXPECT_EQ(m.read8(0x413) | m.read8(0x414) << 8, 639);
  EXPECT_EQ(m.read8(0x449), 3u);
  EXPECT_EQ(m.read8(0x44A) | m.read8(0x44B) << 8, 80);
  EXPECT_EQ(m.read8(0x463) | m.read8(0x464) << 8, 0x3D4);
  EXPECT_EQ(m.read8(0x484), 24u);
  EXPECT_EQ(m.read32(0x3FC), 0u);  // nothing below the BDA
  EXPECT_EQ(m.read32(0x500), 0u);  // nor above it
}

}  // namespace
}  // namespace vmlab::machine
