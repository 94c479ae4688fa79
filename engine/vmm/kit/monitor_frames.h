// MonitorFrames: the allocator of the monitor's own machine frames.
//
// The P2m puts the monitor's reserve in the lowest machine frames (p2m.h); shadow page
// directories and tables, the shadow GDT, the monitor's TSS and IDT all come from here.
// Frames are handed out zeroed, lowest first, so that a run is deterministic.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "engine/cpu/cpu.h"

namespace vmlab::vmm {

class MonitorFrames {
 public:
  // Frames [first, end) of machine memory belong to the monitor.
  MonitorFrames(cpu::Cpu& cpu, uint32_t first, uint32_t end);

  // A zeroed frame, or nothing when the reserve is used up (the caller reclaims).
  std::optional<uint32_t> alloc();
  void free(uint32_t mfn);
  uint32_t free_count() const { return static_cast<uint32_t>(free_.size()); }
  uint32_t total() const { return end_ - first_; }
  bool contains(uint32_t mfn) const { return mfn >= first_ && mfn < end_; }
  // Saved state (kit_state.cpp): the free stack, in order. load() fails `r` on a frame out
  // of the range or given twice.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  cpu::Cpu& cpu_;
  uint32_t first_;
  uint32_t end_;
  std::vector<uint32_t> free_;  // a stack, lowest frame on top
};

}  // namespace vmlab::vmm
