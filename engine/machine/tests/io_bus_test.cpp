// IoBus: decoding, overlap refusal, unassigned ports and the observer hook.
#include <gtest/gtest.h>

#include <vector>

#include "engine/machine/io_bus.h"

namespace vmlab::machine {
namespace {

class RecordingDevice : public IoDevice {
 public:
  uint32_t io_read(uint16_t offset, unsigned size) override {
    last_offset = offset;
    last_size = size;
    return 0x12345600u | offset;
  }
  void io_write(uint16_t offset, unsigned size, uint32_t value) override {
    last_offset = offset;
    last_size = size;
    last_value = value;
  }
  uint16_t last_offset = 0xFFFF;
  unsigned last_size = 0;
  uint32_t last_value = 0;
};

class RecordingObserver : public IoObserver {
 public:
  void on_io(const IoAccess& a) override { seen.push_back(a); }
  std::vector<IoAccess> seen;
};

TEST(IoBusTest, DeviceSeesOffsetWithinItsRange) {
  IoBus bus;
  RecordingDevice dev;
  ASSERT_TRUE(bus.attach(0x3F8, 8, dev, "uart").ok());
  bus.write(0x3FB, 1, 0x83);
  EXPECT_EQ(dev.last_offset, 3);
  EXPECT_EQ(dev.last_size, 1u);
  EXPECT_EQ(dev.last_value, 0x83u);
  EXPECT_EQ(bus.read(0x3FD, 1), 0x05u);  // the bus truncates to the access size
  EXPECT_EQ(bus.read(0x3FD, 2), 0x5605u);
}

TEST(IoBusTest, FirstOffsetMapsScatteredPorts) {
  IoBus bus;
  RecordingDevice dev;
  ASSERT_TRUE(bus.attach(0x60, 1, dev, "data", 0).ok());
  ASSERT_TRUE(bus.attach(0x64, 1, dev, "command", 4).ok());
  bus.read(0x64, 1);
  EXPECT_EQ(dev.last_offset, 4);
}

TEST(IoBusTest, OverlappingRangeIsRefused) {
  IoBus bus;
  RecordingDevice a, b;
  ASSERT_TRUE(bus.attach(0x40, 4, a, "8254 PIT").ok());
  const auto r = bus.attach(0x43, 2, b, "intruder");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "cannot attach intruder at ports 0x0043-0x0044: port 0x0043 already belongs to 8254 "
            "PIT");
  EXPECT_EQ(r.error().code, EBUSY);
  EXPECT_FALSE(bus.attach(0xFFFF, 2, b, "wrap").ok());
}

TEST(IoBusTest, UnassignedPortsReadAllOnesAndAreRecorded) {
  IoBus bus;
  EXPECT_EQ(bus.read(0x1234, 1), 0xFFu);
  EXPECT_EQ(bus.read(0x1235, 2), 0xFFFFu);
  EXPECT_EQ(bus.read(0x1236, 4), 0xFFFFFFFFu);
  bus.write(0x1237, 1, 0);
  EXPECT_EQ(bus.unassigned_accesses(), 4u);
  EXPECT_EQ(bus.recent_unassigned_ports(), (std::vector<uint16_t>{0x1234, 0x1235, 0x1236, 0x1237}));
  for (uint16_t p = 0; p < 10; ++p) bus.read(0x2000 + p, 1);
  const auto recent = bus.recent_unassigned_ports();
  ASSERT_EQ(recent.size(), IoBus::kRecentUnassigned);
  EXPECT_EQ(recent.front(), 0x2002);
  EXPECT_EQ(recent.back(), 0x2009);
}

TEST(IoBusTest, ObserverSeesEveryAccess) {
  IoBus bus;
  RecordingDevice dev;
  RecordingObserver obs;
  ASSERT_TRUE(bus.attach(0x80, 1, dev, "post").ok());
  bus.set_observer(&obs);
  bus.write(0x80, 1, 0x1AB);  // truncated to the byte written
  bus.read(0x99, 2);
  ASSERT_EQ(obs.seen.size(), 2u);
  EXPECT_EQ(obs.seen[0].port, 0x80);
  EXPECT_EQ(obs.seen[0].value, 0xABu);
  EXPECT_EQ(obs.seen[0].direction, IoDirection::kWrite);
  EXPECT_TRUE(obs.seen[0].assigned);
  EXPECT_EQ(obs.seen[1].port, 0x99);
  EXPECT_EQ(obs.seen[1].size, 2);
  EXPECT_EQ(obs.seen[1].value, 0xFFFFu);
  EXPECT_EQ(obs.seen[1].direction, IoDirection::kRead);
  EXPECT_FALSE(obs.seen[1].assigned);
  bus.set_observer(nullptr);
  bus.read(0x99, 1);
  EXPECT_EQ(obs.seen.size(), 2u);
}

}  // namespace
}  // namespace vmlab::machine
