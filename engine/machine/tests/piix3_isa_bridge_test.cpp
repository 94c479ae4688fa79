// The PIIX3's ISA bridge at 00:01.0 behind the host bridge: the multi-function header a
// PCI scan needs to find the IDE function, what software may and may not change, and a
// snapshot's checks. tests/kernels/ata_dma compares its 256 bytes with QEMU's.
#include <gtest/gtest.h>

#include <random>

#include "engine/cpu/state_codec.h"
#include "engine/machine/piix3_isa_bridge.h"

namespace vmlab::machine {
namespace {

constexpr uint16_t kAddress = 0;  // offsets from 0xCF8
constexpr uint16_t kData = 4;

uint32_t select(uint32_t fn, uint32_t reg) {
  return 0x80000000u | 1u << 11 | fn << 8 | reg;
}

uint32_t read(PciHostBridge& pci, uint32_t fn, uint32_t reg) {
  pci.io_write(kAddress, 4, select(fn, reg));
  return pci.io_read(kData, 4);
}

TEST(Piix3IsaBridgeTest, FunctionZeroIsAMultiFunctionIsaBridge) {
  PciHostBridge pci;
  Piix3IsaBridge isa;
  EXPECT_EQ(read(pci, 0, 0x00), 0xFFFFFFFFu);  // nothing answers before it is attached
  ASSERT_TRUE(pci.attach_function(1, 0, &isa));
  EXPECT_EQ(read(pci, 0, 0x00), 0x70008086u);
  EXPECT_EQ(read(pci, 0, 0x04), 0x02000103u);
  EXPECT_EQ(read(pci, 0, 0x08), 0x06010000u);
  EXPECT_EQ(read(pci, 0, 0x0C) >> 16 & 0xFF, 0x80u);  // header type: multi-function
  EXPECT_EQ(read(pci, 0, 0x60), 0x0B0B0A0Au);         // PIRQ A-D as SeaBIOS routes them
  EXPECT_EQ(read(pci, 2, 0x00), 0xFFFFFFFFu);         // no function 2
}

TEST(Piix3IsaBridgeTest, ASlotIsTakenOnceAndTheBridgeSlotNever) {
  PciHostBridge pci;
  Piix3IsaBridge a, b;
  EXPECT_TRUE(pci.attach_function(1, 0, &a));
  EXPECT_FALSE(pci.attach_function(1, 0, &b));
  EXPECT_FALSE(pci.attach_function(0, 0, &b));
  EXPECT_EQ(read(pci, 0, 0x00), 0x70008086u);
}

// 200,000 random writes of every size at every offset: the identity, class, header type and
// status never change, and what may change keeps what was written.
TEST(Piix3IsaBridgeTest, RandomWritesChangeOnlyWhatSoftwareMayWrite) {
  PciHostBridge pci;
  Piix3IsaBridge isa;
  ASSERT_TRUE(pci.attach_function(1, 0, &isa));
  const auto before = isa.config();
  std::mt19937 rng(12);
  for (int i = 0; i < 200000; ++i) {
    const uint32_t reg = rng() & 0xFC;
    pci.io_write(kAddress, 4, select(0, reg));
    const unsigned size = 1u << (rng() % 3);
    pci.io_write(static_cast<uint16_t>(kData + (rng() % (5 - size))), size, rng());
  }
  for (unsigned at : {0x00u, 0x01u, 0x02u, 0x03u, 0x06u, 0x07u, 0x08u, 0x09u, 0x0Au, 0x0Bu, 0x0Eu,
                      0x2Cu, 0x2Du, 0x2Eu, 0x2Fu}) {
    EXPECT_EQ(isa.config()[at], before[at]) << "offset " << at;
  }
  EXPECT_EQ(isa.config()[0x04] & ~0x07, before[0x04] & ~0x07);
  pci.io_write(kAddress, 4, select(0, 0x60));
  pci.io_write(kData, 4, 0x0F0E0B05u);
  EXPECT_EQ(read(pci, 0, 0x60), 0x0F0E0B05u);
}

TEST(Piix3IsaBridgeTest, ASnapshotCannotChangeWhatSoftwareCannot) {
  Piix3IsaBridge isa;
  isa.config_write(0x60, 4, 0x05050505u);
  cpu::ByteWriter w;
  isa.save(w);
  auto bytes = w.take();
  {
    Piix3IsaBridge restored;
    cpu::ByteReader r(bytes);
    restored.load(r);
    EXPECT_FALSE(r.failed());
    EXPECT_EQ(restored.config_read(0x60, 4), 0x05050505u);
  }
  bytes[0x02] ^= 1;  // the device ID
  Piix3IsaBridge tampered;
  cpu::ByteReader r(bytes);
  tampered.load(r);
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(tampered.config_read(0x00, 4), 0x70008086u);
}

}  // namespace
}  // namespace vmlab::machine
