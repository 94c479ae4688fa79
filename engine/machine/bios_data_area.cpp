#include "engine/machine/bios_data_area.h"

#include "engine/machine/cga_text.h"
#include "engine/machine/multiboot_loader.h"
#include "engine/machine/uart16550.h"

namespace vmlab::machine {

namespace {

void put16(PhysicalMemory& m, uint32_t off, uint16_t v) {
  const uint8_t bytes[2] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)};
  m.write(bda::kBase + off, bytes);
}
void put8(PhysicalMemory& m, uint32_t off, uint8_t v) {
  const uint8_t bytes[1] = {v};
  m.write(bda::kBase + off, bytes);
}

}  // namespace

void write_bios_data_area(PhysicalMemory& memory) {
  put16(memory, bda::kComPorts, Uart16550::kCom1Base);
  put16(memory, bda::kEbdaSegment, MultibootLoader::kEbdaStart >> 4);
  put16(memory, bda::kBaseMemoryKib, MultibootLoader::kEbdaStart / 1024);
  put8(memory, bda::kVideoMode, 3);
  put16(memory, bda::kColumns, CgaText::kColumns);
  put16(memory, bda::kPageBytes, 0x1000);    // 80 x 25 x 2 bytes, rounded to 4 KiB
  put16(memory, bda::kCursorShape, 0x0607);  // scan lines 6-7: an underline
  put16(memory, bda::kCrtcPort, CgaText::kIndexPort);
  put8(memory, bda::kRowsMinusOne, CgaText::kRows - 1);
  put16(memory, bda::kCharHeight, 16);
}

}  // namespace vmlab::machine
