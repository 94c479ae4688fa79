// The BIOS data area (BDA): the 256 bytes at physical 0x400 that a PC BIOS fills during
// POST and leaves behind for the operating system. A kernel booted by
// `qemu-system-i386 -kernel` finds there what SeaBIOS wrote, and many teaching kernels
// read it: the serial port table to find COM1, the base memory size and the EBDA segment
// to know where conventional memory ends, the text mode's geometry and the CRTC port to
// drive the screen. vmlab has no BIOS, so the loader writes these fields before it loads
// the kernel (a kernel segment over them wins), with the values SeaBIOS leaves on QEMU's
// PC (tests/kernels/textmode reads them back under both).
//
// Layout: the IBM PC/AT Technical Reference, "BIOS data area", as every BIOS since keeps
// it; offsets below are from 0x400.
#pragma once

#include <cstdint>

#include "engine/machine/physical_memory.h"

namespace vmlab::machine {

namespace bda {
inline constexpr uint32_t kBase = 0x400;
inline constexpr uint32_t kComPorts = 0x00;       // 4 words: COM1-COM4 I/O bases, 0 = none
inline constexpr uint32_t kLptPorts = 0x08;       // 3 words: LPT1-LPT3 I/O bases
inline constexpr uint32_t kEbdaSegment = 0x0E;    // word: the EBDA's real-mode segment
inline constexpr uint32_t kBaseMemoryKib = 0x13;  // word: conventional memory below the EBDA
inline constexpr uint32_t kVideoMode = 0x49;      // byte: the current video mode (3: 80x25 text)
inline constexpr uint32_t kColumns = 0x4A;        // word: text columns
inline constexpr uint32_t kPageBytes = 0x4C;      // word: bytes per video page
inline constexpr uint32_t kCursorShape = 0x60;    // word: cursor end and start scan lines
inline constexpr uint32_t kCrtcPort = 0x63;       // word: the CRTC index port (0x3D4 colour)
inline constexpr uint32_t kRowsMinusOne = 0x84;   // byte: text rows - 1 (EGA and later)
inline constexpr uint32_t kCharHeight = 0x85;     // word: scan lines per character
}  // namespace bda

// Writes the BDA fields a BIOS leaves: COM1 at 0x3F8 (the only serial port), no parallel
// port, the EBDA at 0x9FC00 (segment 0x9FC0) so 639 KiB of base memory, and 80x25 colour
// text mode 3 with the CRTC at 0x3D4. Every other BDA byte is left zero.
void write_bios_data_area(PhysicalMemory& memory);

}  // namespace vmlab::machine
