// LiveKeys: keys a user presses and releases while the guest runs (the GUI's Screen tab),
// queued for the PS/2 keyboard.
//
// Like LiveInput (live_input.h) for the serial line: a front end keeps a shared_ptr and
// calls push() from any thread; the machine takes the events on its own thread at the end
// of each slice only (Machine::sync_devices) and gives them to the keyboard at once, which
// queues their bytes (16, as the part; more is an overrun) until the guest reads them. A
// run given live keys is interactive: WHEN a key reaches the guest depends on host timing,
// so its counts and cycles are not reproducible (a `--keys` script is the deterministic
// way); a run without is unchanged.
#pragma once

#include <mutex>
#include <vector>

#include "engine/machine/key_script.h"

namespace vmlab::machine {

class LiveKeys {
 public:
  // A key pressed (release false) or released. Any thread.
  void push(KeyId key, bool release) {
    const std::lock_guard lock(mutex_);
    if (queued_.size() < kMaxQueued) queued_.push_back({key, release, 0});
  }
  // Whether events are queued. Any thread.
  bool pending() const {
    const std::lock_guard lock(mutex_);
    return !queued_.empty();
  }
  // Appends the queued events to `into` and empties the queue; true if any. Any thread.
  bool take(std::vector<KeyAction>& into) {
    const std::lock_guard lock(mutex_);
    if (queued_.empty()) return false;
    into.insert(into.end(), queued_.begin(), queued_.end());
    queued_.clear();
    return true;
  }

 private:
  // More events than this between two slice ends are dropped (a stuck key repeating).
  static constexpr size_t kMaxQueued = 256;
  mutable std::mutex mutex_;
  std::vector<KeyAction> queued_;
};

}  // namespace vmlab::machine
