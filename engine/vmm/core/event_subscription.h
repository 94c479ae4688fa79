// EventSubscription: a live view of a run for a consumer on another thread (a GUI, a lab
// checker). The Recorder is the single producer: it pushes every event it records into a
// bounded single-producer/single-consumer queue, and at the end of each machine slice (at
// most machine::Machine::kMaxSlice instructions, and at every pause and stop) it publishes
// a snapshot of the counters and the modeled time. The consumer drains both on its own
// thread.
//
// A slow consumer never changes the run: the queue is allocated once, at subscription,
// and never per event. What happens when it is full is the subscriber's choice:
//  - Delivery::kDropWhenFull (the default): the producer drops the event and counts it
//    (dropped()); it never waits. The events that arrive arrive in order (their seq says
//    where a gap is).
//  - Delivery::kLossless (a consumer that needs every event: the GUI's timeline, whose
//    counts must equal stats.json's): the producer waits on the host until the consumer
//    makes room (it spins briefly, then sleeps in short steps), so every event arrives.
//    The guest's modeled time does not move while it waits; only the host's wall time
//    does. A consumer that goes away calls close(): from then on a full queue drops again,
//    so the producer can never wait for a consumer that is gone.
// The counters in the snapshots are always complete, dropped events included. The run
// itself (counts, cycles, console) is the same with or without subscribers, in either
// delivery.
//
// Threading: push() and publish() only on the thread that runs the Vm; pop(), drain(),
// latest_snapshot() only on the one consumer thread; close(), dropped(), pushed() and
// waits() on any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "engine/vmm/core/event.h"
#include "engine/vmm/core/event_counters.h"

namespace vmlab::vmm {

// The state of the run at the end of a slice, a pause or a stop.
struct RunSnapshot {
  EventCounters counters;     // per kind: events and cycles charged, all of them
  uint64_t events = 0;        // events recorded so far (the next event's seq)
  uint64_t instructions = 0;  // retired by the processor
  uint64_t cycles = 0;        // modeled cycles
  uint64_t dropped = 0;       // events this subscription dropped so far
};

class EventSubscription {
 public:
  enum class Delivery : uint8_t { kDropWhenFull, kLossless };

  // Room for `capacity` events (rounded up to a power of two, at least 2).
  explicit EventSubscription(size_t capacity, Delivery delivery = Delivery::kDropWhenFull);
  EventSubscription(const EventSubscription&) = delete;
  EventSubscription& operator=(const EventSubscription&) = delete;

  size_t capacity() const { return slots_.size(); }
  // Changes the delivery; before the subscription is handed to a Recorder (Vm::subscribe
  // returns a drop-when-full one: set_delivery right after it, before the Vm runs).
  void set_delivery(Delivery delivery) { lossless_.store(delivery == Delivery::kLossless); }
  Delivery delivery() const {
    return lossless_.load() ? Delivery::kLossless : Delivery::kDropWhenFull;
  }

  // --- Producer (the Vm's thread; the Recorder calls these) ----------------------------
  // A full queue: lossless, waits for room (true once the event is in); otherwise, or
  // once closed, false and the event counted as dropped.
  bool push(const Event& event) {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_cache_ == slots_.size()) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head - tail_cache_ == slots_.size() && !wait_for_room(head)) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
    }
    slots_[head & mask_] = event;
    head_.store(head + 1, std::memory_order_release);
    return true;
  }
  // Publishes a snapshot. A slice end's never waits: a consumer reading the last one makes
  // it wait for the next publish. A pause's or a stop's (`settled`) waits for the consumer's
  // short copy instead, since no publish may come after it and it must not be lost.
  void publish(const RunSnapshot& snapshot, bool settled = false);

  // --- Consumer (one thread) ------------------------------------------------------------
  // The oldest event not yet taken, if any.
  std::optional<Event> pop();
  // Appends up to `max` events to `out`; returns how many.
  size_t drain(std::vector<Event>& out, size_t max = SIZE_MAX);
  // The newest snapshot published since the last call, if any.
  std::optional<RunSnapshot> latest_snapshot();
  // The consumer takes no more events: a lossless producer stops waiting (a full queue
  // drops from now on). Any thread; idempotent.
  void close() { closed_.store(true, std::memory_order_release); }

  // --- Any thread -----------------------------------------------------------------------
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  // Events pushed (not dropped) so far.
  uint64_t pushed() const { return head_.load(std::memory_order_acquire); }
  // How many times a lossless producer found the queue full and waited for room.
  uint64_t waits() const { return waits_.load(std::memory_order_relaxed); }

 private:
  // Lossless and open: waits until the consumer makes room or closes; true if room came.
  bool wait_for_room(uint64_t head);

  std::vector<Event> slots_;
  size_t mask_;
  // Producer and consumer indices on their own cache lines.
  alignas(64) std::atomic<uint64_t> head_{0};
  uint64_t tail_cache_ = 0;  // the producer's last look at tail_
  alignas(64) std::atomic<uint64_t> tail_{0};
  alignas(64) std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> waits_{0};
  std::atomic<bool> lossless_{false};
  std::atomic<bool> closed_{false};
  std::mutex snapshot_mutex_;
  RunSnapshot snapshot_;
  bool snapshot_fresh_ = false;
};

}  // namespace vmlab::vmm
