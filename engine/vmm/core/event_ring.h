// EventRing: the last N events of a run, in memory (for the GUI's timeline and for a
// front end that wants to show what led to a stop). Oldest events are overwritten.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/vmm/core/event.h"

namespace vmlab::vmm {

class EventRing {
 public:
  explicit EventRing(size_t capacity) : slots_(capacity) {}

  void push(const Event& e) {
    if (slots_.empty()) return;
    slots_[next_] = e;
    next_ = next_ + 1 == slots_.size() ? 0 : next_ + 1;
    ++pushed_;
  }
  size_t capacity() const { return slots_.size(); }
  size_t size() const { return pushed_ < slots_.size() ? pushed_ : slots_.size(); }
  uint64_t overwritten() const { return pushed_ - size(); }
  // The events held, oldest first.
  std::vector<Event> events() const;

 private:
  std::vector<Event> slots_;
  size_t next_ = 0;
  uint64_t pushed_ = 0;
};

}  // namespace vmlab::vmm
