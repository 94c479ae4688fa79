// RunResult: why and how Machine::run stopped.
//
// Modeled figures (instructions, cycles) and the host's wall time are reported side by
// side and never mixed: the first are the same on every host, the second is not.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vmlab::machine {

// Stable values: they end up in stats files and lab checkers. Append, never renumber.
enum class StopReason : uint8_t {
  kExitPort = 0,                  // the guest wrote the debug-exit port (exit_value is set)
  kBudgetExhausted = 1,           // MachineConfig::max_instructions retired
  kHaltedInterruptsDisabled = 2,  // HLT with IF = 0: nothing can ever wake the processor
  kHaltedNothingToWake = 3,       // HLT with IF = 1 but no interrupt source that can fire
  kTripleFault = 4,               // the processor shut down (message: the CPU's report)
  kUnsupported = 5,               // the guest needs something the model lacks (message)
  kResetRequested = 6,            // i8042 pulse or port 0x92: "reset requested by the guest"
  kStopRequested = 7,             // Machine::request_stop() from a front end
};

std::string_view to_string(StopReason reason);

struct RunResult {
  StopReason reason = StopReason::kStopRequested;
  std::optional<uint32_t> exit_value;  // the value written to the exit port
  std::string message;                 // one line for the user
  uint64_t instructions = 0;           // retired since the machine was built
  uint64_t budget_units = 0;           // what --max-instructions counts: instructions, each REP
                                       // iteration, each exception and interrupt delivered
  uint64_t cycles = 0;                 // modeled cycles since the machine was built
  double wall_seconds = 0;             // host time spent in this call of run()
};

}  // namespace vmlab::machine
