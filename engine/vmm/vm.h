// Vm: one virtual machine as the monitor sees it. It owns the machine (and through it
// the processor), the chosen mode, the event recorder with its counters, and the cost
// model, and it runs the guest until a stop.
//
// Only the native mode exists today: the guest runs alone on the simulated hardware and
// the Vm merely watches (HardwareObserver). The trap-and-emulate, binary-translation and
// paravirtual modes will attach here and report into the same Recorder.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "engine/machine/machine.h"
#include "engine/machine/result.h"
#include "engine/vmm/cost_profile.h"
#include "engine/vmm/event.h"
#include "engine/vmm/hardware_observer.h"
#include "engine/vmm/recorder.h"

namespace vmlab::vmm {

struct VmConfig {
  ModeId mode = ModeId::native;
  machine::MachineConfig machine;
  CostProfile profile;
};

class Vm {
 public:
  // Fails with ENOSYS for a mode that is not implemented yet, or with the machine's error.
  static machine::Result<std::unique_ptr<Vm>> create(VmConfig config);
  Vm(const Vm&) = delete;
  Vm& operator=(const Vm&) = delete;
  ~Vm();

  static bool mode_implemented(ModeId mode) { return mode == ModeId::native; }

  machine::Result<void> load_kernel(const std::string& path);
  machine::Result<void> load_kernel_image(std::span<const uint8_t> image, const std::string& name);
  // Runs the guest until it stops (machine::Machine::run) and records the stop as a
  // machine_stop event.
  machine::RunResult run();

  ModeId mode() const { return mode_; }
  const CostProfile& profile() const { return profile_; }
  machine::Machine& machine() { return *machine_; }
  const machine::Machine& machine() const { return *machine_; }
  Recorder& recorder() { return recorder_; }
  const Recorder& recorder() const { return recorder_; }

 private:
  Vm(ModeId mode, CostProfile profile, std::unique_ptr<machine::Machine> machine);

  ModeId mode_;
  CostProfile profile_;
  std::unique_ptr<machine::Machine> machine_;
  Recorder recorder_;
  HardwareObserver observer_;
};

}  // namespace vmlab::vmm
