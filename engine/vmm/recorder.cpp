#include "engine/vmm/recorder.h"

namespace vmlab::vmm {

void Recorder::enable_ring(size_t capacity) {
  if (capacity == 0) {
    ring_.reset();
  } else {
    ring_.emplace(capacity);
  }
  recording_ = ring_.has_value() || !writers_.empty();
}

void Recorder::add_writer(std::unique_ptr<TraceWriter> writer) {
  writers_.push_back(std::move(writer));
  recording_ = true;
}

void Recorder::keep(const Event& event) {
  if (ring_) ring_->push(event);
  if (writers_.empty()) return;
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
  recording_ = ring_.has_value();
  return result;
}

}  // namespace vmlab::vmm
