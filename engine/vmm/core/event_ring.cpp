#include "engine/vmm/core/event_ring.h"

namespace vmlab::vmm {

std::vector<Event> EventRing::events() const {
  std::vector<Event> out;
  const size_t n = size();
  out.reserve(n);
  // When full, the oldest event sits where the next one would go.
  const size_t start = pushed_ < slots_.size() ? 0 : next_;
  for (size_t i = 0; i < n; ++i) out.push_back(slots_[(start + i) % slots_.size()]);
  return out;
}

}  // namespace vmlab::vmm
