#include "engine/machine/piix3_isa_bridge.h"

namespace vmlab::machine {

Piix3IsaBridge::Piix3IsaBridge() {
  config_.set16(0x00, 0x8086);      // vendor: Intel
  config_.set16(0x02, 0x7000);      // device: 82371SB PIIX3 PCI-to-ISA bridge
  config_.set16(0x04, 0x0103);      // command: I/O and memory space, SERR# enable
  config_.set16(0x06, 0x0200);      // status: DEVSEL medium
  config_.set8(0x0A, 0x01);         // ISA bridge
  config_.set8(0x0B, 0x06);         // bridge
  config_.set8(0x0E, 0x80);         // header type 0, multi-function
  config_.set16(0x2C, 0x1AF4);      // subsystem vendor (QEMU's)
  config_.set16(0x2E, 0x1100);      // subsystem
  config_.set8(0x4C, 0x4D);         // IORT: ISA I/O recovery timer
  config_.set8(0x4E, 0x03);         // XBCS: RTC and keyboard controller decode
  config_.set32(0x60, 0x0B0B0A0A);  // PIRQRC A-D: IRQ 10, 10, 11, 11 (SeaBIOS)
  config_.set8(0x69, 0x02);         // TOM: top of memory
  config_.set8(0x70, 0x80);         // MBIRQ0: disabled
  config_.set8(0x76, 0x0C);         // MBDMA0, MBDMA1: disabled
  config_.set8(0x77, 0x0C);
  config_.set8(0x78, 0x02);       // PCSC: programmable chip select
  config_.set8(0xA0, 0x08);       // SMICNTL
  config_.set8(0xA8, 0x0F);       // FTMR: fast-off timer
  config_.writable8(0x04, 0x07);  // I/O, memory, bus master
  config_.writable8(0x05, 0x05);  // SERR#, interrupt disable
  config_.writable8(0x0C, 0xFF);
  config_.writable8(0x3C, 0xFF);
  config_.device_specific_writable();
}

}  // namespace vmlab::machine
