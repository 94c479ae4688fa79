// EventSubscription: a live view of a run for a consumer on another thread (a GUI, a lab
// checker). The Recorder is the single producer: it pushes every event it records into a
// bounded single-producer/single-consumer queue, and at the end of each machine slice (at
// most machine::Machine::kMaxSlice instructions, and at every pause and stop) it publishes
// a snapshot of the counters and the modeled time. The consumer drains both on its own
// thread.
//
// A slow consumer never slows the guest down in a way that changes the run: the queue is
// allocated once, at subscription; when it is full the producer drops the event and counts
// it (dropped()); it never blocks and never allocates per event. The events that arrive
// arrive in order (their seq says where a gap is); the counters in the snapshots are
// always complete, dropped events included. The run itself (counts, cycles, console) is
// the same with or without subscribers.
//
// Threading: push() and publish() only on the thread that runs the Vm; pop(), drain(),
// latest_snapshot() only on the one consumer thread; dropped() and pushed() on any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "engine/vmm/event.h"
#include "engine/vmm/event_counters.h"

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
  // Room for `capacity` events (rounded up to a power of two, at least 2).
  explicit EventSubscription(size_t capacity);
  EventSubscription(const EventSubscription&) = delete;
  EventSubscription& operator=(const EventSubscription&) = delete;

  size_t capacity() const { return slots_.size(); }

  // --- Producer (the Vm's thread; the Recorder calls these) ----------------------------
  // False, and the event counted as dropped, when the queue is full.
  bool push(const Event& event) {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_cache_ == slots_.size()) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head - tail_cache_ == slots_.size()) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
    }
    slots_[head & mask_] = event;
    head_.store(head + 1, std::memory_order_release);
    return true;
  }
  // Publishes a snapshot; never waits (a consumer reading the last one makes this one
  // wait for the next publish).
  void publish(const RunSnapshot& snapshot);

  // --- Consumer (one thread) ------------------------------------------------------------
  // The oldest event not yet taken, if any.
  std::optional<Event> pop();
  // Appends up to `max` events to `out`; returns how many.
  size_t drain(std::vector<Event>& out, size_t max = SIZE_MAX);
  // The newest snapshot published since the last call, if any.
  std::optional<RunSnapshot> latest_snapshot();

  // --- Any thread -----------------------------------------------------------------------
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  // Events pushed (not dropped) so far.
  uint64_t pushed() const { return head_.load(std::memory_order_acquire); }

 private:
  std::vector<Event> slots_;
  size_t mask_;
  // Producer and consumer indices on their own cache lines.
  alignas(64) std::atomic<uint64_t> head_{0};
  uint64_t tail_cache_ = 0;  // the producer's last look at tail_
  alignas(64) std::atomic<uint64_t> tail_{0};
  alignas(64) std::atomic<uint64_t> dropped_{0};
  std::mutex snapshot_mutex_;
  RunSnapshot snapshot_;
  bool snapshot_fresh_ = false;
};

}  // namespace vmlab::vmm
