// ModeledClock: the machine's notion of time, in processor cycles, and exact conversions
// to the clocks of the devices.
//
// Modeled time is the processor's cycle counter (Cpu::cycles()), never the host clock,
// so that a run is the same on every host. A device clock of `hz` ticks per second has
// seen floor(cycles * hz / cpu_hz) ticks after `cycles` cycles; both conversions are done
// in integer arithmetic split so that nothing overflows 64 bits, and they are exact
// inverses: cycle_of_tick(t) is the first cycle at which ticks_at() reaches t.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>

namespace vmlab::machine {

class ModeledClock {
 public:
  // `now` returns the current cycle count (the machine passes the CPU's counter).
  ModeledClock(uint32_t cpu_mhz, std::function<uint64_t()> now)
      : cpu_hz_(uint64_t{cpu_mhz} * 1'000'000), now_(std::move(now)) {}

  uint64_t now() const { return now_(); }
  uint64_t cpu_hz() const { return cpu_hz_; }

  // Ticks of a `hz` clock completed after `cycles` cycles.
  uint64_t ticks_at(uint64_t cycles, uint64_t hz) const;
  // The first cycle at which `ticks` ticks of a `hz` clock have completed.
  uint64_t cycle_of_tick(uint64_t ticks, uint64_t hz) const;

 private:
  uint64_t cpu_hz_;
  std::function<uint64_t()> now_;
};

}  // namespace vmlab::machine
