#include "engine/machine/pit8254.h"

#include <algorithm>
#include <utility>

namespace vmlab::machine {

namespace {

uint32_t from_bcd(uint16_t v) {
  return (v & 0xF) + ((v >> 4) & 0xF) * 10 + ((v >> 8) & 0xF) * 100 + ((v >> 12) & 0xF) * 1000;
}

uint16_t to_bcd(uint32_t v) {
  return static_cast<uint16_t>((v % 10) | ((v / 10) % 10) << 4 | ((v / 100) % 10) << 8 |
                               ((v / 1000) % 10) << 12);
}

}  // namespace

Pit8254::Pit8254(const ModeledClock& clock, std::function<void(bool)> irq0)
    : clock_(clock), irq0_(std::move(irq0)) {
  ch_[2].gate = false;  // port 0x61 bit 0 is clear after reset
}

int64_t Pit8254::position(const Channel& c, uint64_t tick) {
  if (c.frozen) return c.frozen_k;
  return static_cast<int64_t>(tick) - static_cast<int64_t>(c.base_tick);
}

bool Pit8254::out_at(const Channel& c, uint64_t tick) {
  // After a control word OUT is low in mode 0 and high in every other mode.
  if (!c.armed) return c.mode != 0;
  const int64_t n = c.reload;
  const int64_t k = position(c, tick);
  switch (c.mode) {
    case 0: return k >= n;
    case 1: return !c.triggered || k < 0 || k >= n;
    case 2:
      // Low for the one clock in which the count is 1, then reload.
      if (!c.gate || k < 0) return true;
      return k % n != n - 1;
    case 3:
      // High for the first half of the period (the larger half when N is odd).
      if (!c.gate || k < 0) return true;
      return k % n < (n + 1) / 2;
    case 4: return k != n;
    case 5: return !c.triggered || k != n;
    default: return true;
  }
}

uint16_t Pit8254::count_at(const Channel& c, uint64_t tick) {
  const int64_t n = c.reload;
  const int64_t modulus = c.bcd ? 10000 : 65536;
  int64_t k = position(c, tick);
  if (!c.armed || k < 0 || ((c.mode == 1 || c.mode == 5) && !c.triggered)) k = 0;
  int64_t value;
  switch (c.mode) {
    case 2: value = n - k % n; break;
    case 3: {
      // The counting element steps by two, once through each half of the period.
      const int64_t half = (n + 1) / 2;
      const int64_t phase = k % n;
      const int64_t step = phase < half ? phase : phase - half;
      value = (n & ~int64_t{1}) - 2 * step;
      if (value <= 0) value = 2;
      break;
    }
    default:
      // Modes 0, 1, 4, 5 count down through zero and wrap around.
      value = ((n - k) % modulus + modulus) % modulus;
      break;
  }
  value %= modulus;
  return c.bcd ? to_bcd(static_cast<uint32_t>(value)) : static_cast<uint16_t>(value);
}

uint64_t Pit8254::next_rising_edge(const Channel& c, uint64_t tick) {
  if (!c.armed || c.frozen) return kNever;
  const uint64_t n = c.reload;
  const uint64_t b = c.base_tick;
  switch (c.mode) {
    case 0: return b + n > tick ? b + n : kNever;
    case 1: return c.triggered && b + n > tick ? b + n : kNever;
    case 2:
    case 3: {
      if (!c.gate) return kNever;
      // Rising edges at b + j*n for j >= 1.
      const uint64_t j = tick < b ? 1 : (tick - b) / n + 1;
      return b + j * n;
    }
    case 4: return b + n + 1 > tick ? b + n + 1 : kNever;
    case 5: return c.triggered && b + n + 1 > tick ? b + n + 1 : kNever;
    default: return kNever;
  }
}

void Pit8254::set_irq_line(bool high) {
  if (high == irq_line_) return;
  irq_line_ = high;
  if (irq0_) irq0_(high);
}

void Pit8254::advance_to(uint64_t cycle) {
  const uint64_t tick = clock_.ticks_at(cycle, kHz);
  if (tick < synced_tick_) return;
  const uint64_t edge = next_rising_edge(ch_[0], synced_tick_);
  synced_tick_ = tick;
  if (edge <= tick) {
    ++irq0_edges_;
    set_irq_line(false);
    set_irq_line(true);
  }
  set_irq_line(out_at(ch_[0], tick));
}

uint64_t Pit8254::next_event_cycle() const {
  const uint64_t edge = next_rising_edge(ch_[0], synced_tick_);
  return edge == kNever ? kNever : clock_.cycle_of_tick(edge, kHz);
}

void Pit8254::counter0_reprogrammed() {
  set_irq_line(out_at(ch_[0], synced_tick_));
  if (reprogrammed_) reprogrammed_();
}

void Pit8254::set_gate2(bool high) {
  Channel& c = ch_[2];
  if (high == c.gate) return;
  const uint64_t tick = now_ticks();
  if (high) {
    // A rising gate restarts modes 1, 2, 3, 5 from N at the next clock and resumes
    // modes 0 and 4 where they stopped (datasheet, table "Gate Pin Operations Summary").
    if (c.mode == 0 || c.mode == 4) {
      if (c.frozen) {
        c.base_tick = tick + 1 - static_cast<uint64_t>(c.frozen_k);
        c.frozen = false;
      }
    } else {
      c.base_tick = tick + 1;
      if (c.mode == 1 || c.mode == 5) c.triggered = c.armed;
    }
  } else if (c.mode == 0 || c.mode == 4) {
    c.frozen_k = std::max<int64_t>(position(c, tick), 0);
    c.frozen = true;
  }
  c.gate = high;
}

void Pit8254::latch_count(Channel& c, uint64_t tick) {
  if (c.latched_bytes != 0) return;  // a second latch before the read is ignored
  c.latch_value = count_at(c, tick);
  c.latched_bytes = c.access == 3 ? 2 : 1;
  c.read_msb_next = c.access == 2;
}

void Pit8254::latch_status(Channel& c, uint64_t tick) {
  if (c.status_latched) return;
  // Status byte: OUT (7), NULL COUNT (6), RW (5-4), mode (3-1), BCD (0).
  c.status = static_cast<uint8_t>((out_at(c, tick) ? 0x80 : 0) | (c.null_count ? 0x40 : 0) |
                                  c.access << 4 | c.mode << 1 | (c.bcd ? 1 : 0));
  c.status_latched = true;
}

void Pit8254::write_control(uint8_t v) {
  const uint64_t tick = now_ticks();
  if ((v & 0xC0) == kReadBack) {
    for (unsigned i = 0; i < 3; ++i) {
      if (!(v & (2u << i))) continue;
      if (!(v & kReadBackNoStatus)) latch_status(ch_[i], tick);
      if (!(v & kReadBackNoCount)) latch_count(ch_[i], tick);
    }
    return;
  }
  const unsigned index = v >> 6;
  if (index == 0) advance_to(clock_.now());  // edges before the change still count
  Channel& c = ch_[index];
  const uint8_t rw = (v >> 4) & 3;
  if (rw == kRwLatch) {
    latch_count(c, tick);
    return;
  }
  c.access = rw;
  c.mode = (v >> 1) & 7;
  if (c.mode > 5) c.mode -= 4;  // 110 and 111 are modes 2 and 3
  c.bcd = (v & 1) != 0;
  c.armed = false;
  c.null_count = true;
  c.triggered = false;
  c.frozen = false;
  c.write_msb_next = false;
  c.read_msb_next = false;
  if (index == 0) counter0_reprogrammed();
}

void Pit8254::write_count(unsigned index, uint8_t v) {
  if (index == 0) advance_to(clock_.now());
  Channel& c = ch_[index];
  const uint64_t tick = now_ticks();
  bool complete = true;
  switch (c.access) {
    case 1: c.count_register = v; break;
    case 2: c.count_register = static_cast<uint16_t>(v << 8); break;
    default:
      if (!c.write_msb_next) {
        c.count_register = (c.count_register & 0xFF00) | v;
        c.write_msb_next = true;
        complete = false;
        // Mode 0: writing the first byte stops the count and sets OUT low at once.
        if (c.mode == 0) c.armed = false;
      } else {
        c.count_register = static_cast<uint16_t>((c.count_register & 0x00FF) | v << 8);
        c.write_msb_next = false;
      }
      break;
  }
  if (complete) {
    if (c.bcd) {
      c.reload = c.count_register == 0 ? 10000 : from_bcd(c.count_register);
    } else {
      c.reload = c.count_register == 0 ? 0x10000 : c.count_register;
    }
    // Modes 2 and 3 need a count of at least 2; a 1 behaves as the shortest period.
    if ((c.mode == 2 || c.mode == 3) && c.reload < 2) c.reload = 2;
    c.armed = true;
    c.null_count = false;
    c.base_tick = tick + 1;  // loaded into the counting element at the next clock
    c.frozen = false;
    if (!c.gate && (c.mode == 0 || c.mode == 4)) {
      c.frozen = true;
      c.frozen_k = 0;
    }
  }
  if (index == 0) counter0_reprogrammed();
}

uint8_t Pit8254::read_counter(unsigned index) {
  Channel& c = ch_[index];
  if (c.status_latched) {
    c.status_latched = false;
    return c.status;
  }
  uint16_t value;
  if (c.latched_bytes != 0) {
    value = c.latch_value;
    --c.latched_bytes;
  } else {
    value = count_at(c, now_ticks());
  }
  bool msb;
  if (c.access == 1) {
    msb = false;
  } else if (c.access == 2) {
    msb = true;
  } else {
    msb = c.read_msb_next;
    c.read_msb_next = !c.read_msb_next;
  }
  return static_cast<uint8_t>(msb ? value >> 8 : value);
}

uint32_t Pit8254::io_read(uint16_t offset, unsigned) {
  if (offset >= kControlOffset) return 0xFF;  // the control register cannot be read
  return read_counter(offset);
}

void Pit8254::io_write(uint16_t offset, unsigned, uint32_t value) {
  const auto v = static_cast<uint8_t>(value);
  if (offset == kControlOffset) {
    write_control(v);
  } else if (offset < kControlOffset) {
    write_count(offset, v);
  }
}

}  // namespace vmlab::machine
