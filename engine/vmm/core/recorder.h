// Recorder: where every event of a run goes. The counters (per kind: events and cycles
// charged) are always on; recording (an in-memory ring of the last N events, trace files)
// is on only when asked for.
//
// Recording an event also charges its cost: the profile's cost of its kind plus any extra
// the reporter computed (a translation's per-instruction cost), added to the processor's
// modeled clock, so that RDTSC in the guest sees it. With recording off an event costs a
// few adds; nothing here runs per instruction.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "engine/cpu/cpu.h"
#include "engine/machine/result.h"
#include "engine/vmm/core/cost_profile.h"
#include "engine/vmm/core/event.h"
#include "engine/vmm/core/event_counters.h"
#include "engine/vmm/core/event_ring.h"
#include "engine/vmm/core/event_subscription.h"
#include "engine/vmm/core/trace_writer.h"

namespace vmlab::vmm {

using Payload = std::array<uint32_t, 4>;

class Recorder {
 public:
  Recorder(ModeId mode, cpu::Cpu& cpu) : mode_(mode), cpu_(cpu) {}

  void set_event_costs(const CostProfile::EventCosts& costs) { costs_ = costs; }
  // Keeps the last `capacity` events in memory (0: no ring).
  void enable_ring(size_t capacity);
  // Sends every recorded event to `writer` (up to the trace limit).
  void add_writer(std::unique_ptr<TraceWriter> writer);
  // Sends every recorded event to `subscription`'s queue and a snapshot at each slice end
  // (publish_snapshot, called by the Vm). Not subject to the trace limit. Owning thread,
  // not while the Vm runs.
  void subscribe(std::shared_ptr<EventSubscription> subscription);
  void unsubscribe(const EventSubscription* subscription);
  bool has_subscribers() const { return !subscriptions_.empty(); }
  // Calls `on_match` with the event's kind (on the recording thread) each time an event of
  // one of `kinds` is recorded; an empty set turns the watch off. Vm::run_until_event and
  // Vm::step use it.
  void set_watch(const std::bitset<kNumEventKinds>& kinds, std::function<void(EventKind)> on_match);
  // Publishes the counters and the processor's instructions and cycles to every
  // subscription (a no-op without subscribers); `settled` at a pause or a stop, whose
  // snapshot is the last until the Vm runs again and must reach the consumer.
  void publish_snapshot(bool settled = false);
  // At most this many events go to the writers; later ones are only counted. 0: no limit.
  void set_trace_limit(uint64_t limit) { trace_limit_ = limit; }
  // Only events of these kinds go to the writers (all by default); the others are counted,
  // kept in the ring and given to subscriptions as always, and not counted as dropped.
  void set_trace_filter(const std::bitset<kNumEventKinds>& kinds) { trace_filter_ = kinds; }

  // Records an event of the instruction the processor is executing (its EIP and CPL).
  void record(EventKind kind, const Payload& payload, uint64_t extra_cycles = 0) {
    record_at(kind, cpu_.insn_eip(), cpu_.state().cpl, payload, extra_cycles);
  }
  // Records an event with an explicit EIP and CPL (an interrupt taken between
  // instructions belongs to the instruction it interrupts).
  void record_at(EventKind kind, uint32_t eip, uint8_t cpl, const Payload& payload,
                 uint64_t extra_cycles = 0) {
    const unsigned i = index_of(kind);
    const uint64_t cost = costs_[i] + extra_cycles;
    const uint64_t cycle = cpu_.cycles();
    if (cost != 0) cpu_.add_cycles(cost);
    ++counters_.count[i];
    counters_.cycles[i] += cost;
    const uint64_t seq = seq_++;
    if (recording_) keep(Event{seq, cycle, cost, eip, payload, kind, cpl, mode_});
  }

  // The profile's cost of one event of `kind` (without a reporter's extra).
  uint64_t cost_of(EventKind kind) const { return costs_[index_of(kind)]; }
  ModeId mode() const { return mode_; }
  const EventCounters& counters() const { return counters_; }
  uint64_t events_recorded() const { return seq_; }
  // Saved state (vm_saved_state.cpp): the counters and the next event's sequence number.
  // load() fails `r` on a malformed count; the trace writers and subscribers are the run's.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);
  bool recording() const { return recording_; }
  const EventRing* ring() const { return ring_ ? &*ring_ : nullptr; }
  uint64_t trace_events_written() const { return written_; }
  uint64_t trace_events_dropped() const { return dropped_; }

  // Completes the trace files; call once at the end of the run.
  machine::Result<void> finish();

 private:
  void keep(const Event& event);

  ModeId mode_;
  cpu::Cpu& cpu_;
  CostProfile::EventCosts costs_{};
  EventCounters counters_;
  uint64_t seq_ = 0;
  bool recording_ = false;
  std::optional<EventRing> ring_;
  std::vector<std::unique_ptr<TraceWriter>> writers_;
  std::vector<std::shared_ptr<EventSubscription>> subscriptions_;
  std::bitset<kNumEventKinds> watch_;
  std::function<void(EventKind)> on_watch_;
  void update_recording() {
    recording_ = ring_.has_value() || !writers_.empty() || !subscriptions_.empty() || watch_.any();
  }
  uint64_t trace_limit_ = 0;
  std::bitset<kNumEventKinds> trace_filter_ = std::bitset<kNumEventKinds>{}.set();
  uint64_t written_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace vmlab::vmm
