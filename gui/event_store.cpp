#include "gui/event_store.h"

#include <algorithm>
#include <limits>

namespace vmlab::gui {

void EventStore::reserve(size_t events) {
  cycle_.reserve(events);
  charged_.reserve(events);
  eip_.reserve(events);
  payload_.reserve(events);
  kind_.reserve(events);
  cpl_.reserve(events);
}

void EventStore::append(const vmm::Event& event) {
  const size_t n = size();
  if (n == 0) {
    seq_base_ = event.seq;
  } else if (seq_.empty() && event.seq != seq_base_ + n) {
    seq_.reserve(cycle_.capacity());
    for (size_t i = 0; i < n; ++i) seq_.push_back(seq_base_ + i);
  }
  if (!seq_.empty()) seq_.push_back(event.seq);
  cycle_.push_back(event.cycle);
  const uint64_t limit = std::numeric_limits<uint32_t>::max();
  charged_.push_back(static_cast<uint32_t>(std::min(event.charged, limit)));
  eip_.push_back(event.eip);
  payload_.push_back(event.payload);
  kind_.push_back(static_cast<uint8_t>(event.kind));
  cpl_.push_back(event.cpl);
  end_cycle_ = std::max(end_cycle_, event.cycle + event.charged);
}

void EventStore::clear() {
  *this = EventStore();
}

vmm::Event EventStore::event(size_t i) const {
  return vmm::Event{seq(i),      cycle_[i], charged_[i], eip_[i],
                    payload_[i], kind(i),   cpl_[i],     vmm::ModeId::native};
}

size_t EventStore::lower_bound(uint64_t cycle) const {
  return static_cast<size_t>(std::lower_bound(cycle_.begin(), cycle_.end(), cycle) -
                             cycle_.begin());
}

}  // namespace vmlab::gui
