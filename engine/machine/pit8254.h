// Pit8254: the Intel 8254 Programmable Interval Timer of the PC.
//
// Datasheet: Intel 8254, order no. 231164-005. Ports:
//   0x40-0x42  counters 0-2 (count register writes, count/status reads)
//   0x43       control word: SC1-SC0 (bits 7-6) counter or 11 = read-back,
//              RW1-RW0 (5-4) 00 = counter latch, 01 LSB, 10 MSB, 11 LSB then MSB,
//              M2-M0 (3-1) mode, BCD (0)
// On the PC all three counters are clocked at 1.193182 MHz (14.31818 MHz / 12). Counter 0
// drives IRQ 0 and its gate is tied high; counter 2's gate is bit 0 of port 0x61 and its
// OUT is readable as bit 5 of port 0x61 (see SystemControlPortB); counter 1 (DRAM refresh
// on old PCs) is modeled but wired to nothing.
//
// Time is modeled, not simulated clock by clock: each counter remembers the tick at which
// its counting element was loaded, and its count and OUT are functions of the ticks since.
// Ticks come from the processor's modeled cycles through ModeledClock, so the timer is
// exact and deterministic. The non-obvious bit: a count written to a counter is loaded on
// the *next* clock pulse, so in mode 0 OUT goes high N + 1 ticks after the count is
// written, and in modes 2 and 3 the first rising edge of OUT (the IRQ 0 edge) comes
// N + 1 ticks after the write and every N ticks after that.
//
// Not modeled: a new count written to a running mode 2/3 counter restarts it at the next
// tick instead of at the end of the current period; in mode 3 with an odd count the
// values read back are approximate (OUT timing is exact).
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "engine/cpu/state_codec.h"
#include "engine/machine/io_device.h"
#include "engine/machine/modeled_clock.h"

namespace vmlab::machine {

class Pit8254 : public IoDevice {
 public:
  static constexpr uint64_t kHz = 1'193'182;
  static constexpr uint64_t kNever = ~uint64_t{0};
  static constexpr uint16_t kBase = 0x40;
  static constexpr uint16_t kControlOffset = 3;
  // Control word fields.
  static constexpr uint8_t kReadBack = 0xC0;          // SC = 11
  static constexpr uint8_t kRwLatch = 0x00;           // RW = 00: counter latch command
  static constexpr uint8_t kReadBackNoCount = 0x20;   // read-back: do not latch counts
  static constexpr uint8_t kReadBackNoStatus = 0x10;  // read-back: do not latch status

  // `irq0` is called with the new level of counter 0's OUT, which is wired to IRQ 0.
  Pit8254(const ModeledClock& clock, std::function<void(bool)> irq0);

  uint32_t io_read(uint16_t offset, unsigned size) override;
  void io_write(uint16_t offset, unsigned size, uint32_t value) override;

  // Brings counter 0's OUT up to `cycle`, raising an IRQ 0 edge if one or more rising
  // edges happened since the last call (several edges missed while the processor
  // overshot collapse into one request, as the 8259A's IRR latches only one).
  void advance_to(uint64_t cycle);
  // The cycle at which counter 0's OUT next rises (the next IRQ 0 edge), or kNever.
  uint64_t next_event_cycle() const;
  // Called when a guest write changed counter 0's timing, so the machine can shorten
  // the slice it is running.
  void set_reprogram_listener(std::function<void()> listener) {
    reprogrammed_ = std::move(listener);
  }

  // Counter 2's gate and OUT, for port 0x61.
  void set_gate2(bool high);
  bool gate2() const { return ch_[2].gate; }
  bool out(unsigned counter) const { return out_at(ch_[counter], now_ticks()); }

  uint64_t now_ticks() const { return clock_.ticks_at(clock_.now(), kHz); }
  uint64_t irq0_edges() const { return irq0_edges_; }
  // The current count of a counter, as a read without latch would see it.
  uint16_t count(unsigned counter) const { return count_at(ch_[counter], now_ticks()); }

  // Saved state (device_state.cpp, docs/snapshots.md): every register and latch; load()
  // validates what it reads and fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  struct Channel {
    uint8_t mode = 0;
    uint8_t access = 3;  // RW field: 1 LSB, 2 MSB, 3 LSB then MSB
    bool bcd = false;
    uint16_t count_register = 0;  // the raw value written
    uint32_t reload = 0x10000;    // N in clocks (0 written means 65536, or 10000 in BCD)
    bool armed = false;           // a full count was written since the control word
    bool null_count = true;
    bool gate = true;
    bool triggered = false;  // modes 1 and 5: a gate rising edge started the count
    bool frozen = false;     // gate low in modes 0 and 4: counting suspended at frozen_k
    int64_t frozen_k = 0;
    uint64_t base_tick = 0;  // the tick at which the counting element held N
    bool write_msb_next = false;
    bool read_msb_next = false;
    uint8_t latched_bytes = 0;  // 0: no latch; else bytes of latch_value still to read
    uint16_t latch_value = 0;
    bool status_latched = false;
    uint8_t status = 0;
  };

  // Ticks since the counting element was loaded (negative before the first clock).
  static int64_t position(const Channel& c, uint64_t tick);
  static bool out_at(const Channel& c, uint64_t tick);
  static uint16_t count_at(const Channel& c, uint64_t tick);
  // The first tick after `tick` at which OUT rises, or kNever.
  static uint64_t next_rising_edge(const Channel& c, uint64_t tick);

  void write_control(uint8_t v);
  void write_count(unsigned counter, uint8_t v);
  uint8_t read_counter(unsigned counter);
  void latch_count(Channel& c, uint64_t tick);
  void latch_status(Channel& c, uint64_t tick);
  void set_irq_line(bool high);
  void counter0_reprogrammed();

  const ModeledClock& clock_;
  std::function<void(bool)> irq0_;
  std::function<void()> reprogrammed_;
  std::array<Channel, 3> ch_;
  uint64_t synced_tick_ = 0;  // counter 0's OUT has been followed up to this tick
  bool irq_line_ = false;
  uint64_t irq0_edges_ = 0;
};

}  // namespace vmlab::machine
