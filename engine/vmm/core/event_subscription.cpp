#include "engine/vmm/core/event_subscription.h"

#include <bit>
#include <chrono>
#include <thread>

namespace vmlab::vmm {

EventSubscription::EventSubscription(size_t capacity, Delivery delivery)
    : slots_(std::bit_ceil(capacity < 2 ? size_t{2} : capacity)),
      mask_(slots_.size() - 1),
      lossless_(delivery == Delivery::kLossless) {}

bool EventSubscription::wait_for_room(uint64_t head) {
  if (!lossless_.load(std::memory_order_relaxed)) return false;
  waits_.fetch_add(1, std::memory_order_relaxed);
  // A consumer draining in bursts (the GUI, 25 times a second) makes room soon: yield a
  // little, then sleep in short steps, so that a stalled producer costs no core.
  for (unsigned spin = 0;; ++spin) {
    if (closed_.load(std::memory_order_acquire)) return false;
    tail_cache_ = tail_.load(std::memory_order_acquire);
    if (head - tail_cache_ < slots_.size()) return true;
    if (spin < 64) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
}

void EventSubscription::publish(const RunSnapshot& snapshot, bool settled) {
  std::unique_lock lock(snapshot_mutex_, std::defer_lock);
  if (settled) {
    lock.lock();
  } else if (!lock.try_lock()) {
    return;  // the consumer is reading: it gets the next one
  }
  snapshot_ = snapshot;
  snapshot_.dropped = dropped();
  snapshot_fresh_ = true;
}

std::optional<Event> EventSubscription::pop() {
  const uint64_t tail = tail_.load(std::memory_order_relaxed);
  if (tail == head_.load(std::memory_order_acquire)) return std::nullopt;
  Event e = slots_[tail & mask_];
  tail_.store(tail + 1, std::memory_order_release);
  return e;
}

size_t EventSubscription::drain(std::vector<Event>& out, size_t max) {
  const uint64_t tail = tail_.load(std::memory_order_relaxed);
  const uint64_t head = head_.load(std::memory_order_acquire);
  uint64_t n = head - tail;
  if (n > max) n = max;
  for (uint64_t i = 0; i < n; ++i) out.push_back(slots_[(tail + i) & mask_]);
  tail_.store(tail + n, std::memory_order_release);
  return static_cast<size_t>(n);
}

std::optional<RunSnapshot> EventSubscription::latest_snapshot() {
  std::lock_guard lock(snapshot_mutex_);
  if (!snapshot_fresh_) return std::nullopt;
  snapshot_fresh_ = false;
  return snapshot_;
}

}  // namespace vmlab::vmm
