#include "engine/machine/modeled_clock.h"

namespace vmlab::machine {

// With cycles = q * cpu_hz + r (r < cpu_hz), cycles * hz / cpu_hz = q * hz + r * hz / cpu_hz,
// and r * hz stays below 2^64 for any clock up to a few GHz on both sides.
uint64_t ModeledClock::ticks_at(uint64_t cycles, uint64_t hz) const {
  const uint64_t q = cycles / cpu_hz_;
  const uint64_t r = cycles % cpu_hz_;
  return q * hz + r * hz / cpu_hz_;
}

// The smallest c with c * hz >= ticks * cpu_hz, i.e. ceil(ticks * cpu_hz / hz), split the
// same way around ticks = q * hz + r.
uint64_t ModeledClock::cycle_of_tick(uint64_t ticks, uint64_t hz) const {
  const uint64_t q = ticks / hz;
  const uint64_t r = ticks % hz;
  return q * cpu_hz_ + (r * cpu_hz_ + hz - 1) / hz;
}

}  // namespace vmlab::machine
