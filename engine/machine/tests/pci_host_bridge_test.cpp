// PCI configuration mechanism #1 and the i440FX host bridge: what the address register
// takes, what the data window gives for the bridge and for functions nobody answers, and
// which bits a write changes. tests/kernels/pci checks the same against QEMU.
#include <gtest/gtest.h>

#include <random>

#include "engine/machine/pci_host_bridge.h"

namespace vmlab::machine {
namespace {

constexpr uint16_t kAddress = 0;  // offsets from 0xCF8
constexpr uint16_t kData = 4;

uint32_t select(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t reg) {
  return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | reg;
}

TEST(PciHostBridgeTest, OnlyADwordReachesTheAddressRegister) {
  PciHostBridge pci;
  pci.io_write(kAddress, 4, 0x80001234u);
  EXPECT_EQ(pci.io_read(kAddress, 4), 0x80001234u);
  pci.io_write(kAddress, 2, 0);
  pci.io_write(kAddress + 1, 1, 0);
  EXPECT_EQ(pci.address(), 0x80001234u);
  EXPECT_EQ(pci.io_read(kAddress, 2), 0xFFFFFFFFu);
  EXPECT_EQ(pci.io_read(kAddress + 2, 1), 0xFFFFFFFFu);
}

TEST(PciHostBridgeTest, TheHostBridgeIsAnI440fx) {
  PciHostBridge pci;
  pci.io_write(kAddress, 4, select(0, 0, 0, 0));
  EXPECT_EQ(pci.io_read(kData, 4), 0x12378086u);
  EXPECT_EQ(pci.io_read(kData + 1, 1), 0x80u);
  EXPECT_EQ(pci.io_read(kData + 2, 2), 0x1237u);
  pci.io_write(kAddress, 4, select(0, 0, 0, 8));
  EXPECT_EQ(pci.io_read(kData, 4), 0x06000002u);
}

TEST(PciHostBridgeTest, NobodyElseAnswers) {
  PciHostBridge pci;
  for (const uint32_t a : {select(0, 1, 0, 0), select(0, 0, 1, 0), select(1, 0, 0, 0),
                           select(0, 31, 7, 0xFC), uint32_t{0}}) {
    pci.io_write(kAddress, 4, a);
    EXPECT_EQ(pci.io_read(kData, 4), 0xFFFFFFFFu) << std::hex << a;
    pci.io_write(kData, 4, 0);  // dropped
  }
  pci.io_write(kAddress, 4, select(0, 0, 0, 0));
  EXPECT_EQ(pci.io_read(kData, 4), 0x12378086u);
}

TEST(PciHostBridgeTest, WritesChangeOnlyTheWritableBits) {
  PciHostBridge pci;
  const auto before = pci.config();
  pci.io_write(kAddress, 4, select(0, 0, 0, 0));
  pci.io_write(kData, 4, 0xFFFFFFFFu);  // the IDs are read-only
  pci.io_write(kAddress, 4, select(0, 0, 0, 4));
  pci.io_write(kData, 4, 0xFFFFFFFFu);
  EXPECT_EQ(pci.io_read(kData, 4), 0x00000507u);  // command bits 0-2, 8, 10; status 0
  pci.io_write(kAddress, 4, select(0, 0, 0, 0x10));
  pci.io_write(kData, 4, 0xFFFFFFFFu);
  EXPECT_EQ(pci.io_read(kData, 4), 0u);  // no BARs
  EXPECT_EQ(pci.config()[0], before[0]);
  EXPECT_EQ(pci.config()[2], before[2]);
}

TEST(PciHostBridgeTest, RandomTrafficStaysInsideTheConfigurationSpace) {
  PciHostBridge pci;
  std::mt19937 rng(12);
  for (int i = 0; i < 100000; ++i) {
    const auto offset = static_cast<uint16_t>(rng() % 8);
    const unsigned size = 1u << (rng() % 3);
    if (rng() & 1) {
      pci.io_write(offset, size, rng());
    } else {
      (void)pci.io_read(offset, size);
    }
  }
  pci.io_write(kAddress, 4, select(0, 0, 0, 0));
  EXPECT_EQ(pci.io_read(kData, 4), 0x12378086u);
}

}  // namespace
}  // namespace vmlab::machine
