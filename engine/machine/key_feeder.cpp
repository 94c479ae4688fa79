#include "engine/machine/key_feeder.h"

namespace vmlab::machine {

KeyFeeder::KeyFeeder(std::vector<KeyAction> actions, uint64_t cpu_hz)
    : actions_(std::move(actions)), cpu_hz_(cpu_hz) {
  if (!actions_.empty()) next_cycle_ = cycles_of(kGapMicros + actions_[0].wait_us);
}

uint64_t KeyFeeder::cycles_of(uint64_t us) const {
  // us <= an hour plus the gap, cpu_hz <= a few GHz: no overflow in 64 bits.
  return us * (cpu_hz_ / 1'000'000) + us * (cpu_hz_ % 1'000'000) / 1'000'000;
}

bool KeyFeeder::pump(uint64_t now, I8042Controller& kbc) {
  if (!pending() || now < next_cycle_ || !kbc.ready_for_key()) return false;
  const KeyAction& a = actions_[pos_++];
  kbc.key(a.key, a.release);
  if (pending()) next_cycle_ = now + cycles_of(kGapMicros + actions_[pos_].wait_us);
  return true;
}

void KeyFeeder::save(cpu::ByteWriter& w) const {
  w.u64(actions_.size());
  w.u64(pos_);
  w.u64(next_cycle_);
}

void KeyFeeder::load(cpu::ByteReader& r) {
  const uint64_t size = r.u64();
  const uint64_t pos = r.u64();
  const uint64_t next = r.u64();
  if (size != actions_.size() || pos > size) {
    r.fail();
    return;
  }
  pos_ = static_cast<size_t>(pos);
  next_cycle_ = next;
}

}  // namespace vmlab::machine
