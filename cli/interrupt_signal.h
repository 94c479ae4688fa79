// Ctrl-C during `vmlab run`: the run ends at the end of the current slice, with its
// summary line and its --out files complete, instead of the process dying mid-run.
//
// While an InterruptStop is alive, SIGINT and SIGTERM ask the machine to stop
// (Machine::request_stop, an atomic flag the run loop reads after every slice; a slice is
// at most Machine::kMaxSlice budget units, and every unit is bounded work, so the stop
// comes within a fraction of a second). The handler is installed with SA_RESETHAND: a
// second Ctrl-C ends the process the default way, should anything ever fail to stop.
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
};

}  // namespace vmlab::cli
