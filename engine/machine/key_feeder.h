// KeyFeeder: a key script (key_script.h) typed on the keyboard at deterministic points in
// modeled time.
//
// Event i (a key pressed or released) goes to the keyboard at the first point where
//  - the modeled time is at least kGapMicros plus the script's waits before it after event
//    i-1 went (after cycle 0 for the first), and
//  - the keyboard would pass it on at once (I8042Controller::ready_for_key: scanning, its
//    queue empty, its interface enabled, the output buffer empty - the guest has read the
//    last byte),
// looked at when a slice ends (the machine ends slices at the event's time while the
// keyboard is ready, and ends the current one when a guest access makes it ready). So a
// run with --keys retires the same instructions and cycles every time; a guest that never
// reads the keyboard never receives the rest of the script.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "engine/cpu/state_codec.h"
#include "engine/machine/i8042_controller.h"
#include "engine/machine/key_script.h"

namespace vmlab::machine {

class KeyFeeder {
 public:
  // A keyboard sends a byte in about a millisecond (11 bits at 10-16.7 kHz: IBM PS/2
  // Hardware Interface Technical Reference, "Keyboard", "Data Output"); a key event of up
  // to three bytes comes no sooner than this after the last.
  static constexpr uint64_t kGapMicros = 1000;
  static constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

  KeyFeeder() = default;
  KeyFeeder(std::vector<KeyAction> actions, uint64_t cpu_hz);

  bool pending() const { return pos_ < actions_.size(); }
  size_t position() const { return pos_; }
  size_t size() const { return actions_.size(); }
  // The cycle of the next event while the keyboard could take it; kNever otherwise.
  uint64_t next_event_cycle(const I8042Controller& kbc) const {
    return pending() && kbc.ready_for_key() ? next_cycle_ : kNever;
  }
  // Types the next event if it is due at `now` and the keyboard is ready; true if it did.
  bool pump(uint64_t now, I8042Controller& kbc);

  // Saved state: the position and the next event's cycle; load() requires the same script
  // length (the script itself is the run's configuration, as --input's bytes are).
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  uint64_t cycles_of(uint64_t us) const;

  std::vector<KeyAction> actions_;
  uint64_t cpu_hz_ = 0;
  size_t pos_ = 0;
  uint64_t next_cycle_ = 0;
};

}  // namespace vmlab::machine
