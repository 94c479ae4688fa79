// Vm control: run_for, step, resume and the stop they share with run() (vm.h, "Control").
#include "engine/vmm/core/vm.h"

namespace vmlab::vmm {

std::string_view to_string(VmState state) {
  switch (state) {
    case VmState::kReady: return "ready";
    case VmState::kRunning: return "running";
    case VmState::kPaused: return "paused";
    case VmState::kStopped: return "stopped";
  }
  return "unknown";
}

VmState Vm::run_for(uint64_t instructions) {
  return run_for_at(instructions, machine::Machine::kPauseGranularity);
}

VmState Vm::run_until_event(const std::bitset<kNumEventKinds>& kinds, uint64_t max_instructions) {
  recorder_.set_watch(kinds, [this](EventKind) { machine_->request_pause(); });
  const VmState state = run_for_at(max_instructions, 1);
  recorder_.set_watch({}, {});
  return state;
}

namespace {

// Processor instructions one guest instruction may take under bt before a step gives up
// looking for the next boundary (an in-TC sequence is a few dozen).
constexpr uint64_t kMaxProcessorStepsPerGuestInsn = uint64_t{1} << 16;

// Events that say a monitor completed a guest instruction on the guest's behalf, without
// the processor retiring it (Vm::step).
std::bitset<kNumEventKinds> completing_kinds() {
  std::bitset<kNumEventKinds> kinds;
  for (EventKind k : {EventKind::emulated_insn, EventKind::guest_pt_write, EventKind::hole_access,
                      EventKind::hypercall}) {
    kinds.set(index_of(k));
  }
  return kinds;
}

// Events that say an exception or interrupt was delivered to the guest's handler: on the
// processor (natively, or in guest mode) or by a monitor reflecting or injecting it.
std::bitset<kNumEventKinds> delivering_kinds() {
  std::bitset<kNumEventKinds> kinds;
  for (EventKind k :
       {EventKind::exception, EventKind::external_interrupt, EventKind::virq_inject}) {
    kinds.set(index_of(k));
  }
  return kinds;
}

}  // namespace

VmState Vm::step(const std::bitset<kNumEventKinds>& seen, const std::function<void()>& on_seen) {
  static const std::bitset<kNumEventKinds> kCompleting = completing_kinds();
  static const std::bitset<kNumEventKinds> kDelivering = delivering_kinds();
  cpu::Cpu& cpu = machine_->cpu();
  bool completed = false;
  bool delivered = false;
  // The event is recorded inside the instruction's emulation (or the event's delivery):
  // the processor leaves its run loop at the next boundary without ending the slice, and
  // the machine pauses there. A delivery ends the step at the handler's first
  // instruction, not yet run, so that a debugger's breakpoint there is seen (a fault the
  // monitor resolves itself, a hidden one, leaves EIP where it was: the step goes on).
  recorder_.set_watch(kCompleting | kDelivering | seen, [&](EventKind kind) {
    if (on_seen && seen.test(index_of(kind))) on_seen();
    const bool completing = kCompleting.test(index_of(kind));
    if (completing || kDelivering.test(index_of(kind))) {
      (completing ? completed : delivered) = true;
      cpu.request_yield();
      machine_->request_pause();
    }
  });
  VmState state = VmState::kPaused;
  for (uint64_t i = 0; i < kMaxProcessorStepsPerGuestInsn; ++i) {
    const uint64_t retired = cpu.instructions_retired();
    const uint32_t eip = guest_eip();
    completed = false;
    delivered = false;
    state = run_for_at(1, 1);
    // A pause asked for by an event of the step's own instruction is not left for the next.
    machine_->clear_pause_request();
    if (state == VmState::kStopped) break;
    const bool progressed =
        cpu.instructions_retired() != retired || ((completed || delivered) && guest_eip() != eip);
    if (progressed && mode_->guest_cpu(*this).at_insn_boundary) break;
  }
  recorder_.set_watch({}, {});
  return state;
}

VmState Vm::run_for_at(uint64_t instructions, uint64_t granularity) {
  state_.store(VmState::kRunning, std::memory_order_release);
  const uint64_t retired = machine_->cpu().instructions_retired();
  const uint64_t until = instructions > UINT64_MAX - retired ? UINT64_MAX : retired + instructions;
  std::optional<machine::RunResult> stop = machine_->run_until(until, granularity);
  if (!stop) {
    recorder_.publish_snapshot(/*settled=*/true);
    state_.store(VmState::kPaused, std::memory_order_release);
    return VmState::kPaused;
  }
  record_stop(std::move(*stop));
  return VmState::kStopped;
}

machine::RunResult Vm::record_stop(machine::RunResult r) {
  mode_->explain_stop(*this, r);
  auto& cpu = machine_->cpu();
  recorder_.record_at(
      EventKind::machine_stop, cpu.state().eip, cpu.state().cpl,
      {static_cast<uint32_t>(r.reason), r.exit_value.value_or(0), r.exit_value ? 1u : 0u, 0});
  // A pause requested but not taken before the stop (or by a watch on machine_stop) does
  // not outlive it.
  machine_->clear_pause_request();
  // The stop's own charge (normally none) belongs to the run's modeled time.
  r.cycles = cpu.cycles();
  last_stop_ = r;
  recorder_.publish_snapshot(/*settled=*/true);
  state_.store(VmState::kStopped, std::memory_order_release);
  return r;
}

std::shared_ptr<EventSubscription> Vm::subscribe(size_t capacity) {
  auto subscription = std::make_shared<EventSubscription>(capacity);
  recorder_.subscribe(subscription);
  machine_->set_slice_listener([this] { recorder_.publish_snapshot(); });
  return subscription;
}

void Vm::unsubscribe(const EventSubscription* subscription) {
  recorder_.unsubscribe(subscription);
  if (!recorder_.has_subscribers()) machine_->set_slice_listener({});
}

}  // namespace vmlab::vmm
