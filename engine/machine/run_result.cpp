#include "engine/machine/run_result.h"

namespace vmlab::machine {

std::string_view to_string(StopReason reason) {
  switch (reason) {
    case StopReason::kExitPort: return "exit-port";
    case StopReason::kBudgetExhausted: return "budget-exhausted";
    case StopReason::kHaltedInterruptsDisabled: return "halted-interrupts-disabled";
    case StopReason::kHaltedNothingToWake: return "halted-nothing-to-wake";
    case StopReason::kTripleFault: return "triple-fault";
    case StopReason::kUnsupported: return "unsupported";
    case StopReason::kResetRequested: return "reset-requested";
    case StopReason::kStopRequested: return "stop-requested";
  }
  return "unknown";
}

}  // namespace vmlab::machine
