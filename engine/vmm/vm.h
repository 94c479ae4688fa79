// Vm: one virtual machine as the monitor sees it. It owns the machine (and through it
// the processor), the chosen mode, the event recorder with its counters, and the cost
// model, and it runs the guest until a stop.
//
// The mode (mode.h) decides how the guest boots and what the monitor does; the Vm always
// watches the hardware (HardwareObserver) and gives every mode the same Recorder. Machine
// memory is the guest's RAM plus the mode's reserve for monitor data (P2m).
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
#include "engine/vmm/mode.h"
#include "engine/vmm/recorder.h"

namespace vmlab::vmm {

struct VmConfig {
  // The mode; none means native (modes/registry.h makes the others).
  std::unique_ptr<Mode> mode;
  // The machine as the guest sees it: memory_mib is the guest's RAM.
  machine::MachineConfig machine;
  CostProfile profile;
};

class Vm {
 public:
  // Fails with the machine's error (memory size, ...).
  static machine::Result<std::unique_ptr<Vm>> create(VmConfig config);
  Vm(const Vm&) = delete;
  Vm& operator=(const Vm&) = delete;
  ~Vm();

  machine::Result<void> load_kernel(const std::string& path);
  machine::Result<void> load_kernel_image(std::span<const uint8_t> image, const std::string& name);
  // Runs the guest until it stops (machine::Machine::run) and records the stop as a
  // machine_stop event.
  machine::RunResult run();

  ModeId mode() const { return mode_->id(); }
  Mode& mode_impl() { return *mode_; }
  const Mode& mode_impl() const { return *mode_; }
  // The guest's RAM in MiB (the machine has the mode's reserve on top).
  uint32_t guest_mib() const { return guest_mib_; }
  const CostProfile& profile() const { return profile_; }
  machine::Machine& machine() { return *machine_; }
  const machine::Machine& machine() const { return *machine_; }
  Recorder& recorder() { return recorder_; }
  const HardwareObserver& observer() const { return observer_; }
  const Recorder& recorder() const { return recorder_; }

 private:
  Vm(std::unique_ptr<Mode> mode, uint32_t guest_mib, CostProfile profile,
     std::unique_ptr<machine::Machine> machine);

  std::unique_ptr<Mode> mode_;
  uint32_t guest_mib_;
  CostProfile profile_;
  std::unique_ptr<machine::Machine> machine_;
  Recorder recorder_;
  HardwareObserver observer_;
};

}  // namespace vmlab::vmm
