// EventCounters: how many events of each kind a run recorded and the modeled cycles they
// were charged. Always on: one increment and one add per event, nothing per instruction.
#pragma once

#include <array>
#include <cstdint>

#include "engine/vmm/core/event.h"

namespace vmlab::vmm {

struct EventCounters {
  std::array<uint64_t, kNumEventKinds> count{};
  std::array<uint64_t, kNumEventKinds> cycles{};

  uint64_t count_of(EventKind kind) const { return count[index_of(kind)]; }
  uint64_t cycles_of(EventKind kind) const { return cycles[index_of(kind)]; }
  uint64_t total_count() const {
    uint64_t n = 0;
    for (uint64_t c : count) n += c;
    return n;
  }
  uint64_t total_cycles() const {
    uint64_t n = 0;
    for (uint64_t c : cycles) n += c;
    return n;
  }
};

}  // namespace vmlab::vmm
