#include "engine/vmm/core/recorder.h"

#include <vector>

namespace vmlab::vmm {

void Recorder::enable_ring(size_t capacity) {
  if (capacity == 0) {
    ring_.reset();
  } else {
    ring_.emplace(capacity);
  }
  update_recording();
}

void Recorder::add_writer(std::unique_ptr<TraceWriter> writer) {
  writers_.push_back(std::move(writer));
  recording_ = true;
}

void Recorder::subscribe(std::shared_ptr<EventSubscription> subscription) {
  if (subscription) subscriptions_.push_back(std::move(subscription));
  update_recording();
}

void Recorder::unsubscribe(const EventSubscription* subscription) {
  std::erase_if(subscriptions_, [subscription](const auto& s) { return s.get() == subscription; });
  update_recording();
}

void Recorder::publish_snapshot(bool settled) {
  if (subscriptions_.empty()) return;
  RunSnapshot snap;
  snap.counters = counters_;
  snap.events = seq_;
  snap.instructions = cpu_.instructions_retired();
  snap.cycles = cpu_.cycles();
  for (auto& s : subscriptions_) s->publish(snap, settled);
}

void Recorder::set_watch(const std::bitset<kNumEventKinds>& kinds,
                         std::function<void(EventKind)> on_match) {
  watch_ = on_match ? kinds : std::bitset<kNumEventKinds>{};
  on_watch_ = std::move(on_match);
  update_recording();
}

void Recorder::keep(const Event& event) {
  if (ring_) ring_->push(event);
  for (auto& s : subscriptions_) s->push(event);
  if (watch_.test(index_of(event.kind))) on_watch_(event.kind);
  if (writers_.empty() || !trace_filter_.test(index_of(event.kind))) return;
  if (trace_limit_ != 0 && written_ >= trace_limit_) {
    ++dropped_;
    return;
  }
  for (auto& w : writers_) w->write(event);
  ++written_;
}

machine::Result<void> Recorder::finish() {
  machine::Result<void> result;
  for (auto& w : writers_) {
    if (auto r = w->finish(); !r && result.ok()) result = r;
  }
  writers_.clear();
  update_recording();
  return result;
}

}  // namespace vmlab::vmm
