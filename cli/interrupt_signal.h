// Ctrl-C during `vmlab run`: the run ends at the end of the current slice, with its
// summary line and its --out files complete, instead of the process dying mid-run.
//
// While an InterruptStop is alive, SIGINT and SIGTERM ask the machine to stop
// (Machine::request_stop, an atomic flag the run loop reads after every slice; a slice is
// at most Machine::kMaxSlice budget units, and every unit is bounded work, so the stop
// comes within a fraction of a second). A second Ctrl-C (or SIGTERM) ends the process the
// default way, should anything ever fail to stop, after the last words (set_last_words).
#pragma once

#include "engine/machine/machine.h"

namespace vmlab::cli {

class InterruptStop {
 public:
  explicit InterruptStop(machine::Machine& machine);
  ~InterruptStop();
  InterruptStop(const InterruptStop&) = delete;
  InterruptStop& operator=(const InterruptStop&) = delete;

  // The signal that stopped the run, or 0.
  int signal_received() const;
  // An async-signal-safe function that a second signal calls before the process ends
  // (the interactive console's terminal restore); reset when the InterruptStop ends.
  static void set_last_words(void (*last_words)() noexcept);
};

}  // namespace vmlab::cli
