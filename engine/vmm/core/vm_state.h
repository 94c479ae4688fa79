// VmState: where a Vm is in its life, as Vm::state() reports it (vm.h, "Control").
#pragma once

#include <cstdint>
#include <string_view>

namespace vmlab::vmm {

enum class VmState : uint8_t {
  kReady,    // built (and perhaps loaded); nothing has run yet
  kRunning,  // run(), resume(), run_for() or step() is executing on the owning thread
  kPaused,   // run_for()/step() reached its count, or a pause request took effect
  kStopped,  // the machine stopped: Vm::last_stop() says why
};

std::string_view to_string(VmState state);

}  // namespace vmlab::vmm
