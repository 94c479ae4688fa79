#include "engine/machine/cmos_rtc.h"

#include <algorithm>

namespace vmlab::machine {

namespace {

bool leap(unsigned y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

void put16(std::array<uint8_t, 128>& ram, uint8_t index, uint32_t v) {
  ram[index] = static_cast<uint8_t>(v);
  ram[index + 1] = static_cast<uint8_t>(v >> 8);
}

}  // namespace

CmosRtc::CmosRtc(const ModeledClock& clock, uint32_t ram_bytes) : clock_(clock) {
  ram_[kStatusA] = 0x26;
  ram_[kStatusB] = kStatusB24Hour;
  ram_[kStatusD] = 0x80;
  put16(ram_, 0x15, 640);
  const uint32_t ext_kib = ram_bytes > (1u << 20) ? (ram_bytes - (1u << 20)) / 1024 : 0;
  put16(ram_, 0x17, std::min<uint32_t>(ext_kib, 0xFFFF));
  put16(ram_, 0x30, std::min<uint32_t>(ext_kib, 0xFFFF));
  const uint32_t above16 = ram_bytes > (16u << 20) ? (ram_bytes - (16u << 20)) >> 16 : 0;
  put16(ram_, 0x34, std::min<uint32_t>(above16, 0xFFFF));
}

CmosRtc::DateTime CmosRtc::date_time(uint64_t seconds) {
  DateTime t{};
  t.second = static_cast<unsigned>(seconds % 60);
  t.minute = static_cast<unsigned>(seconds / 60 % 60);
  t.hour = static_cast<unsigned>(seconds / 3600 % 24);
  uint64_t days = seconds / 86400;
  t.weekday = static_cast<unsigned>((days + 6) % 7) + 1;  // 2000-01-01 was a Saturday (7)
  unsigned year = 2000;
  while (days >= (leap(year) ? 366u : 365u)) days -= leap(year++) ? 366 : 365;
  static constexpr unsigned kMonthDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  unsigned month = 0;
  for (;; ++month) {
    const unsigned len = kMonthDays[month] + (month == 1 && leap(year) ? 1 : 0);
    if (days < len) break;
    days -= len;
  }
  t.year = year;
  t.month = month + 1;
  t.day = static_cast<unsigned>(days) + 1;
  return t;
}

uint8_t CmosRtc::encode(unsigned value) const {
  if (ram_[kStatusB] & kStatusBBinary) return static_cast<uint8_t>(value);
  return static_cast<uint8_t>((value / 10) << 4 | (value % 10));
}

uint8_t CmosRtc::read_register(uint8_t index) const {
  const uint64_t now = clock_.now();
  if (index <= kYear || index == kCentury) {
    const DateTime t = date_time(now / clock_.cpu_hz());
    switch (index) {
      case kSeconds: return encode(t.second);
      case kMinutes: return encode(t.minute);
      case kHours:
        if (ram_[kStatusB] & kStatusB24Hour) return encode(t.hour);
        // 12-hour mode: 12, 1..11, with bit 7 set for PM.
        return static_cast<uint8_t>(encode(t.hour % 12 == 0 ? 12 : t.hour % 12) |
                                    (t.hour >= 12 ? 0x80 : 0));
      case kWeekday: return encode(t.weekday);
      case kDay: return encode(t.day);
      case kMonth: return encode(t.month);
      case kYear: return encode(t.year % 100);
      case kCentury: return encode(t.year / 100);
      default: return 0;  // the alarm registers: no alarm set
    }
  }
  return ram_[index];
}

uint32_t CmosRtc::io_read(uint16_t offset, unsigned) {
  if (offset == 0) return 0xFF;  // the index register is write-only
  return read_register(index_);
}

void CmosRtc::io_write(uint16_t offset, unsigned, uint32_t value) {
  const auto v = static_cast<uint8_t>(value);
  if (offset == 0) {
    index_ = v & 0x7F;
    nmi_disabled_ = (v & kNmiDisable) != 0;
    return;
  }
  switch (index_) {
    case kStatusA: ram_[kStatusA] = v & 0x7F; break;  // UIP is read-only
    case kStatusB: ram_[kStatusB] = v; break;
    case kStatusC:
    case kStatusD: break;  // read-only
    default:
      if (index_ > kYear && index_ != kCentury) ram_[index_] = v;  // time writes ignored
      break;
  }
}

}  // namespace vmlab::machine
