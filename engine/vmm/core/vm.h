// Vm: one virtual machine as the monitor sees it. It owns the machine (and through it
// the processor), the chosen mode, the event recorder with its counters, and the cost
// model, and it runs the guest until a stop.
//
// The mode (mode.h) decides how the guest boots and what the monitor does; the Vm always
// watches the hardware (HardwareObserver) and gives every mode the same Recorder. Machine
// memory is the guest's RAM plus the mode's reserve for monitor data (P2m).
#pragma once

#include <atomic>
#include <bitset>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "engine/machine/machine.h"
#include "engine/machine/result.h"
#include "engine/vmm/core/cost_profile.h"
#include "engine/vmm/core/event.h"
#include "engine/vmm/core/hardware_observer.h"
#include "engine/vmm/core/mode.h"
#include "engine/vmm/core/recorder.h"
#include "engine/vmm/core/vm_state.h"

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
  // machine_stop event. Pause requests do not apply to it.
  machine::RunResult run();

  // --- Control (vm_control.cpp; docs/architecture.md, "Threading") ---------------------
  // The thread that calls run/resume/run_for/step owns the Vm while the call runs; only
  // request_pause() and state() may be called from another thread meanwhile.
  //
  // A pause is not a stop: no machine_stop event is recorded, and the next call goes on
  // exactly where the pause left off, so a run split by pauses and steps ends with the same
  // console output, events, counters and modeled cycles as one run() (engine/machine,
  // Machine::run_until). A stop is recorded as run() records it; after a stop that can be
  // resumed (kStopRequested, kBudgetExhausted with a raised budget) the calls go on.
  //
  // Runs until `instructions` more instructions retire on the processor (kPaused), a pause
  // request takes effect (kPaused) or the machine stops (kStopped, last_stop() set).
  VmState run_for(uint64_t instructions);
  // Runs exactly one guest instruction: afterwards guest_eip() is the next guest
  // instruction's and guest_cpu() is at a guest instruction boundary, in every mode, so a
  // sequence of steps visits the guest EIPs a native run visits. An interrupt or exception
  // delivered to the guest ends the step at its handler's first instruction, not yet run
  // (a faulting instruction is one step, its handler's entry the next EIP, where a
  // debugger's breakpoint is seen); idle time skipped by a halted guest is part of a step. An
  // instruction that a monitor completes without the processor retiring it (an emulated privileged
  // instruction, a guest page-table write emulated on a trace fault, a hypervisor-hole access) is
  // one step; under bt a step runs the translated instructions of one guest instruction. A step is
  // a pause like run_for's: the run stays the same run. Events of `seen`'s kinds recorded during
  // the step call `on_seen` (a debugger's event break).
  VmState step(const std::bitset<kNumEventKinds>& seen = {},
               const std::function<void()>& on_seen = {});
  // Runs exactly one instruction of the processor: run_for(1). Under trap modes an
  // instruction the monitor emulates does not retire on the processor and is part of the
  // next one; under bt the instructions are those of the translated code.
  VmState step_processor() { return run_for(1); }
  // Runs until the machine stops or a pause request takes effect.
  VmState resume() { return run_for(UINT64_MAX); }
  // Runs until an event of one of `kinds` is recorded, then pauses after the instruction
  // that raised it (an event raised while delivering an interrupt: after the handler's
  // first instruction; bt's in-TC counts, recorded at the next monitor entry: there), or
  // until `max_instructions` retire, a pause request, or a stop. It looks at the pause
  // request after every instruction, so it runs slower than resume(); the run stays the
  // same run. The GUI's "step to the next hypercall / VM exit / shadow fault / callout".
  VmState run_until_event(const std::bitset<kNumEventKinds>& kinds,
                          uint64_t max_instructions = UINT64_MAX);
  // Asks the running call to pause within machine::Machine::kPauseGranularity retired
  // instructions. Safe from any thread. A request made while nothing runs pauses the next
  // call before its first instruction; a stop that comes first clears it.
  void request_pause() { machine_->request_pause(); }
  // Asks the running call to stop (a resumable kStopRequested stop, recorded as
  // machine_stop) at the end of the current slice. Safe from any thread.
  void request_stop() { machine_->request_stop(); }
  // Safe from any thread.
  VmState state() const { return state_.load(std::memory_order_acquire); }
  // The last stop, once state() has been kStopped (read it on the owning thread, or on
  // another after state() returned kStopped and before the owner runs the Vm again).
  const std::optional<machine::RunResult>& last_stop() const { return last_stop_; }
  // The guest's EIP as the guest knows it (under bt: the guest instruction that the
  // translated code at the processor's EIP belongs to). Owning thread, or while paused.
  uint32_t guest_eip() const { return machine_->cpu().guest_eip(); }

  // --- Live events (event_subscription.h) -----------------------------------------------
  // A subscription with room for `capacity` events: from now on every recorded event goes
  // to its queue and a snapshot at each slice end, pause and stop. Owning thread, not while
  // the Vm runs; the consumer side is then used on the consumer's thread.
  std::shared_ptr<EventSubscription> subscribe(size_t capacity);
  void unsubscribe(const EventSubscription* subscription);

  // --- Inspection (inspection.h, vm_inspection.cpp) --------------------------------------
  // Owning thread, while the Vm does not run (paused, stopped, or before the first call).
  GuestCpuView guest_cpu() const { return mode_->guest_cpu(*this); }
  RealPaging real_paging() const { return mode_->real_paging(); }
  // The P2M as ranges (native: guest-physical 0.. is machine 0.., the whole RAM).
  std::vector<P2mRange> p2m() const;
  // Copies machine memory [address, address + out.size()) into `out`: false, and nothing
  // copied, when any byte lies outside the machine's RAM (guest RAM and monitor reserve).
  bool read_machine(uint64_t address, std::span<uint8_t> out) const;
  // The same for guest-physical memory through the P2M: false when any byte is unbacked.
  bool read_guest_physical(uint64_t address, std::span<uint8_t> out) const;
  // The pages of [first_linear, first_linear + pages * 4 KiB) that the guest's tables or
  // the hardware's map, at most `max_rows` of them, in address order (vm_inspection.cpp).
  std::vector<PageRow> page_walk(uint32_t first_linear = 0, uint32_t pages = 1u << 20,
                                 size_t max_rows = SIZE_MAX) const;
  std::vector<TranslationRow> translations() const { return mode_->translations(*this); }
  std::optional<TranslationDetail> translation(uint32_t guest_linear) {
    return mode_->translation(*this, guest_linear);
  }

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
  HardwareObserver& observer() { return observer_; }
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
  std::atomic<VmState> state_{VmState::kReady};
  std::optional<machine::RunResult> last_stop_;
  // Records the stop as machine_stop and keeps it (run() and run_for()).
  machine::RunResult record_stop(machine::RunResult r);
  VmState run_for_at(uint64_t instructions, uint64_t granularity);
};

}  // namespace vmlab::vmm
