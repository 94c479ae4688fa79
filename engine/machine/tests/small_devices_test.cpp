// The small PC devices: exit port, POST port, 0xE9, i8042, port 0x92, CMOS/RTC.
#include <gtest/gtest.h>

#include <vector>

#include "engine/machine/cmos_rtc.h"
#include "engine/machine/console_output.h"
#include "engine/machine/debug_console_port.h"
#include "engine/machine/debug_exit_port.h"
#include "engine/machine/i8042_controller.h"
#include "engine/machine/post_code_port.h"
#include "engine/machine/system_control_port_a.h"

namespace vmlab::machine {
namespace {

TEST(DebugExitPortTest, RecordsValueAndQemuStatus) {
  uint32_t seen = 0;
  DebugExitPort port([&](uint32_t v) { seen = v; });
  EXPECT_FALSE(port.value().has_value());
  port.io_write(0, 4, 0x31);
  EXPECT_EQ(seen, 0x31u);
  EXPECT_EQ(port.value(), 0x31u);
  EXPECT_EQ(DebugExitPort::qemu_exit_status(0x31), 0x63u);
  EXPECT_EQ(DebugExitPort::qemu_exit_status(0), 1u);
}

TEST(PostCodePortTest, RecordsWrites) {
  PostCodePort port;
  port.io_write(0, 1, 0x42);
  port.io_write(0, 1, 0x43);
  EXPECT_EQ(port.last_code(), 0x43);
  EXPECT_EQ(port.writes(), 2u);
}

TEST(DebugConsolePortTest, BytesGoToConsoleAndReadBackE9) {
  ConsoleOutput out;
  DebugConsolePort port(out);
  port.io_write(0, 1, 'o');
  port.io_write(0, 1, 'k');
  EXPECT_EQ(out.captured(), "ok");
  EXPECT_EQ(port.io_read(0, 1), 0xE9u);
}

TEST(I8042Test, StatusSaysNoDataAndSystemFlag) {
  int resets = 0;
  I8042Controller kbc([&] { ++resets; });
  kbc.apply_firmware_state();
  const uint32_t status = kbc.io_read(I8042Controller::kCommandOffset, 1);
  EXPECT_EQ(status & 0x01, 0u);  // output buffer empty
  EXPECT_EQ(status & 0x02, 0u);  // input buffer empty
  EXPECT_EQ(status & 0x04, 4u);  // system flag
  EXPECT_EQ(kbc.io_read(I8042Controller::kDataOffset, 1), 0u);
  kbc.io_write(I8042Controller::kCommandOffset, 1, 0xAD);  // disable keyboard: accepted
  EXPECT_EQ(resets, 0);
  kbc.io_write(I8042Controller::kCommandOffset, 1, 0xFE);
  EXPECT_EQ(resets, 1);
  kbc.io_write(I8042Controller::kCommandOffset, 1, 0xD1);  // write output port
  kbc.io_write(I8042Controller::kDataOffset, 1, 0xDF);     // A20 on, reset line high
  EXPECT_EQ(resets, 1);
  kbc.io_write(I8042Controller::kCommandOffset, 1, 0xD1);
  kbc.io_write(I8042Controller::kDataOffset, 1, 0xDE);  // bit 0 low: reset
  EXPECT_EQ(resets, 2);
}

TEST(SystemControlPortATest, A20AlwaysOnAndFastReset) {
  int resets = 0;
  SystemControlPortA port([&] { ++resets; });
  EXPECT_EQ(port.io_read(0, 1), 0x02u);
  port.io_write(0, 1, 0x02);
  EXPECT_EQ(resets, 0);
  port.io_write(0, 1, 0x03);
  EXPECT_EQ(resets, 1);
}

class CmosRtcTest : public ::testing::Test {
 protected:
  CmosRtcTest() : clock_(1000, [this] { return now_; }), rtc_(clock_, 128u << 20) {}
  uint8_t reg(uint8_t index) {
    rtc_.io_write(0, 1, index);
    return static_cast<uint8_t>(rtc_.io_read(1, 1));
  }
  uint64_t now_ = 0;
  ModeledClock clock_;
  CmosRtc rtc_;
};

TEST_F(CmosRtcTest, DateFromModeledTimeInBcd) {
  // 1 day, 13:45:30 of modeled time after 2000-01-01 00:00:00 (a Saturday).
  now_ = (86400ull + 13 * 3600 + 45 * 60 + 30) * 1'000'000'000ull;
  EXPECT_EQ(reg(CmosRtc::kSeconds), 0x30);
  EXPECT_EQ(reg(CmosRtc::kMinutes), 0x45);
  EXPECT_EQ(reg(CmosRtc::kHours), 0x13);
  EXPECT_EQ(reg(CmosRtc::kWeekday), 0x01);  // Sunday
  EXPECT_EQ(reg(CmosRtc::kDay), 0x02);
  EXPECT_EQ(reg(CmosRtc::kMonth), 0x01);
  EXPECT_EQ(reg(CmosRtc::kYear), 0x00);
  EXPECT_EQ(reg(CmosRtc::kCentury), 0x20);
}

TEST_F(CmosRtcTest, BinaryAnd12HourModes) {
  now_ = 13ull * 3600 * 1'000'000'000ull;
  rtc_.io_write(0, 1, CmosRtc::kStatusB);
  rtc_.io_write(1, 1, CmosRtc::kStatusBBinary);  // binary, 12-hour
  EXPECT_EQ(reg(CmosRtc::kHours), 0x81);         // 1 PM
  EXPECT_EQ(reg(CmosRtc::kCentury), 20);
}

TEST_F(CmosRtcTest, StatusRegistersAndMemorySize) {
  EXPECT_EQ(reg(CmosRtc::kStatusA), 0x26);
  EXPECT_EQ(reg(CmosRtc::kStatusB), 0x02);
  EXPECT_EQ(reg(CmosRtc::kStatusC), 0x00);
  EXPECT_EQ(reg(CmosRtc::kStatusD), 0x80);
  EXPECT_EQ(reg(0x15) | reg(0x16) << 8, 640);
  EXPECT_EQ(reg(0x17) | reg(0x18) << 8, 0xFFFF);  // 127 MiB in KiB, capped
  EXPECT_EQ(reg(0x34) | reg(0x35) << 8, (112 << 20) >> 16);
}

TEST_F(CmosRtcTest, NmiDisableBitIsAcceptedWithTheIndex) {
  rtc_.io_write(0, 1, CmosRtc::kNmiDisable | CmosRtc::kStatusD);
  EXPECT_TRUE(rtc_.nmi_disabled());
  EXPECT_EQ(rtc_.io_read(1, 1), 0x80u);
  EXPECT_EQ(rtc_.io_read(0, 1), 0xFFu);  // the index port is write-only
}

TEST(CmosDateTest, LeapYearsAndMonths) {
  // 2000-03-01: 31 + 29 days after the epoch (2000 is a leap year).
  auto t = CmosRtc::date_time(60ull * 86400);
  EXPECT_EQ(t.year, 2000u);
  EXPECT_EQ(t.month, 3u);
  EXPECT_EQ(t.day, 1u);
  // 2024-12-31: 9131 days after the epoch.
  t = CmosRtc::date_time(9131ull * 86400);
  EXPECT_EQ(t.year, 2024u);
  EXPECT_EQ(t.month, 12u);
  EXPECT_EQ(t.day, 31u);
}

// A guest that prints without end cannot grow the monitor's memory: the capture keeps the
// first 64 MiB, the sink gets every byte, and a saved console says how many were dropped.
TEST(ConsoleOutputTest, TheCaptureIsBoundedAndTheSinkGetsEveryByte) {
  uint64_t sunk = 0;
  ConsoleOutput out([&](char) { ++sunk; });
  const size_t total = ConsoleOutput::kCaptureLimit + 1000;
  for (size_t i = 0; i < total; ++i) out.put(static_cast<char>('a' + i % 26));
  EXPECT_EQ(out.captured().size(), ConsoleOutput::kCaptureLimit);
  EXPECT_EQ(out.dropped(), 1000u);
  EXPECT_EQ(sunk, total);
  cpu::ByteWriter w;
  out.save(w);
  ConsoleOutput back;
  cpu::ByteReader r(w.data());
  back.load(r);
  ASSERT_FALSE(r.failed());
  EXPECT_EQ(back.captured(), out.captured());
  EXPECT_EQ(back.dropped(), 1000u);
  // Dropped bytes with a capture that is not full is not a state it can be in.
  ConsoleOutput small;
  small.put('x');
  cpu::ByteWriter w2;
  small.save(w2);
  std::vector<uint8_t> bad(w2.data().begin(), w2.data().end());
  bad.back() = 1;  // the dropped count's high byte
  cpu::ByteReader rb(bad);
  ConsoleOutput refused;
  refused.load(rb);
  EXPECT_TRUE(rb.failed());
}

}  // namespace
}  // namespace vmlab::machine
