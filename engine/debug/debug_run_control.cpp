// DebugTarget (debug_target.h): breakpoints, watchpoints, event breaks and run control.
#include "engine/debug/debug_target.h"

#include <algorithm>
#include <bitset>

namespace vmlab::debug {

namespace {

// Processor instructions one guest instruction may take under bt before a step gives up
// looking for the next boundary (an in-TC sequence is a few dozen).
constexpr uint64_t kMaxStepsPerGuestInsn = 1u << 16;
// Without breakpoints the guest runs this many instructions between looks at the debugger.
constexpr uint64_t kChunk = 1u << 16;
// With breakpoints: look at the debugger after this many steps.
constexpr uint64_t kPollSteps = 1u << 12;

}  // namespace

// --- Breakpoints -------------------------------------------------------------------------

std::vector<uint8_t> DebugTarget::watch_bytes(const Watch& w) const {
  std::vector<uint8_t> b(w.length);
  if (read_memory(w.address, b) != b.size()) b.clear();
  return b;
}

bool DebugTarget::insert(unsigned type, uint32_t address, uint32_t length) {
  switch (type) {
    case 0:
      if (soft_.size() >= kMaxBreakpoints && !soft_.count(address)) return false;
      soft_.insert(address);
      return true;
    case 1:
      if (hard_.size() >= kMaxHardwareBreakpoints && !hard_.count(address)) return false;
      hard_.insert(address);
      return true;
    case 2: {
      if (length == 0 || length > kMaxWatchLength) return false;
      if (watches_.size() >= kMaxWatchpoints) return false;
      Watch w{address, length, {}};
      w.last = watch_bytes(w);
      watches_.push_back(std::move(w));
      return true;
    }
    case 3:
    case 4:
      if (length == 0 || length > kMaxWatchLength) return false;
      if (access_watches_.size() >= kMaxWatchpoints) return false;
      access_watches_.push_back({address, length, type});
      return true;
    default: return false;
  }
}

bool DebugTarget::remove(unsigned type, uint32_t address, uint32_t length) {
  switch (type) {
    case 0: soft_.erase(address); return true;
    case 1: hard_.erase(address); return true;
    case 2: {
      auto it = std::find_if(watches_.begin(), watches_.end(), [&](const Watch& w) {
        return w.address == address && w.length == length;
      });
      if (it != watches_.end()) watches_.erase(it);
      return true;
    }
    case 3:
    case 4: {
      auto it = std::find_if(access_watches_.begin(), access_watches_.end(), [&](const auto& w) {
        return w.address == address && w.length == length && w.type == type;
      });
      if (it != access_watches_.end()) access_watches_.erase(it);
      return true;
    }
    default: return false;
  }
}

void DebugTarget::clear_breakpoints() {
  soft_.clear();
  hard_.clear();
  watches_.clear();
  access_watches_.clear();
  event_break_.reset();
}

// --- Run control -------------------------------------------------------------------------

bool DebugTarget::at_boundary() const {
  return vm_->guest_cpu().at_insn_boundary;
}

std::optional<StopInfo> DebugTarget::matched_event() {
  event_seen_ = false;
  const vmm::EventRing* ring = vm_->recorder().ring();
  if (!event_break_ || !ring) return std::nullopt;
  std::optional<StopInfo> stop;
  for (const vmm::Event& e : ring->events()) {
    if (e.seq < seen_seq_) continue;
    if (!stop && e.kind == event_break_->kind &&
        (!event_break_->value || e.payload[event_break_->field & 3] == *event_break_->value)) {
      stop = StopInfo{StopInfo::kMonitor, 0, format_event(e, vm_->machine().cpu().monitor())};
    }
  }
  seen_seq_ = vm_->recorder().events_recorded();
  if (stop) event_break_.reset();  // one shot, as `monitor break` arms it
  return stop;
}

vmm::VmState DebugTarget::one_step() {
  // Vm::step runs one guest instruction (an emulated one too) and ends at a guest
  // instruction boundary; the event break's kind is watched on the way.
  std::bitset<vmm::kNumEventKinds> kinds;
  if (event_break_) kinds.set(vmm::index_of(event_break_->kind));
  return vm_->step(kinds, [this] { event_seen_ = true; });
}

std::optional<StopInfo> DebugTarget::access_hit() const {
  const vmm::GuestCpuView v = vm_->guest_cpu();
  if (!v.at_insn_boundary) return std::nullopt;
  uint8_t code[16];
  const size_t got = read_memory(v.eip, code);
  for (const MemoryAccess& a : decoder_.accesses({code, got}, v.eip, v.hardware)) {
    for (const AccessWatch& w : access_watches_) {
      const bool overlap = uint64_t{a.linear} < uint64_t{w.address} + w.length &&
                           uint64_t{w.address} < uint64_t{a.linear} + a.size;
      if (overlap && (w.type == 4 || a.read)) {
        StopInfo stop{StopInfo::kWatchpoint, w.address, {}};
        stop.watch_type = w.type;
        return stop;
      }
    }
  }
  return std::nullopt;
}

std::optional<StopInfo> DebugTarget::step_and_check(bool check_breakpoints) {
  // A read or access watchpoint: the instruction about to run is looked at before it runs,
  // the stop comes after it, at the next guest instruction boundary.
  if (check_breakpoints && !access_watches_.empty() && !pending_access_) {
    pending_access_ = access_hit();
  }
  if (one_step() == vmm::VmState::kStopped) return StopInfo{StopInfo::kExited, 0, {}};
  if (event_seen_) {
    if (auto stop = matched_event()) {
      // An event raised inside a guest instruction's translation: stop at the next boundary.
      for (uint64_t i = 0; !at_boundary() && i < kMaxStepsPerGuestInsn; ++i) {
        if (one_step() == vmm::VmState::kStopped) return StopInfo{StopInfo::kExited, 0, {}};
      }
      return stop;
    }
  }
  if (!check_breakpoints) return std::nullopt;
  const uint32_t eip = vm_->guest_eip();
  if ((soft_.count(eip) || hard_.count(eip)) && at_boundary()) {
    return StopInfo{StopInfo::kBreakpoint, eip, {}};
  }
  if ((watches_.empty() && !pending_access_) || !at_boundary()) return std::nullopt;
  if (pending_access_) {
    const StopInfo stop = *pending_access_;
    pending_access_.reset();
    return stop;
  }
  for (Watch& w : watches_) {
    std::vector<uint8_t> now = watch_bytes(w);
    if (now != w.last) {
      w.last = std::move(now);
      return StopInfo{StopInfo::kWatchpoint, w.address, {}};
    }
  }
  return std::nullopt;
}

void DebugTarget::settle() {
  for (uint64_t i = 0; !exited() && !at_boundary() && i < kMaxStepsPerGuestInsn; ++i) {
    one_step();
  }
}

StopInfo DebugTarget::step(const std::function<bool()>& poll) {
  (void)poll;
  if (exited()) return StopInfo{StopInfo::kExited, 0, {}};
  seen_seq_ = vm_->recorder().events_recorded();
  std::optional<StopInfo> stop = step_and_check(false);
  for (Watch& w : watches_) w.last = watch_bytes(w);
  return stop.value_or(StopInfo{StopInfo::kStep, 0, {}});
}

StopInfo DebugTarget::resume(const std::function<bool()>& poll) {
  if (exited()) return StopInfo{StopInfo::kExited, 0, {}};
  std::bitset<vmm::kNumEventKinds> kinds;
  if (event_break_) kinds.set(vmm::index_of(event_break_->kind));
  seen_seq_ = vm_->recorder().events_recorded();
  StopInfo result;
  pending_access_.reset();
  if (soft_.empty() && hard_.empty() && watches_.empty() && access_watches_.empty()) {
    // Nothing to look at per instruction: chunks, or run_until_event for an event break.
    for (;;) {
      const vmm::VmState state =
          kinds.any() ? vm_->run_until_event(kinds, kChunk) : vm_->run_for(kChunk);
      if (state == vmm::VmState::kStopped) return StopInfo{StopInfo::kExited, 0, {}};
      if (kinds.any()) {
        event_seen_ = true;
        if (auto stop = matched_event()) {
          for (uint64_t i = 0; !at_boundary() && i < kMaxStepsPerGuestInsn; ++i) {
            if (one_step() == vmm::VmState::kStopped) return StopInfo{StopInfo::kExited, 0, {}};
          }
          return *stop;
        }
      }
      if (poll()) {
        // Stop where the guest's state is exact.
        for (uint64_t i = 0; !at_boundary() && i < kMaxStepsPerGuestInsn; ++i) {
          if (one_step() == vmm::VmState::kStopped) return StopInfo{StopInfo::kExited, 0, {}};
        }
        return StopInfo{StopInfo::kInterrupt, 0, {}};
      }
    }
  }
  for (uint64_t n = 1;; ++n) {
    if (auto stop = step_and_check(true)) {
      result = *stop;
      break;
    }
    if (n % kPollSteps == 0 && poll()) {
      bool exited_now = false;
      for (uint64_t i = 0; !at_boundary() && i < kMaxStepsPerGuestInsn; ++i) {
        if (one_step() == vmm::VmState::kStopped) {
          exited_now = true;
          break;
        }
      }
      result = StopInfo{exited_now ? StopInfo::kExited : StopInfo::kInterrupt, 0, {}};
      break;
    }
  }
  return result;
}

std::vector<vmm::Event> DebugTarget::last_events(size_t n) const {
  const vmm::EventRing* ring = vm_->recorder().ring();
  if (!ring) return {};
  std::vector<vmm::Event> all = ring->events();
  if (all.size() > n) all.erase(all.begin(), all.end() - static_cast<ptrdiff_t>(n));
  return all;
}

}  // namespace vmlab::debug
