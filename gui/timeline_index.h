// TimelineIndex: the summary the timeline draws from, so that a frame costs a few
// operations per pixel column and lane, never one per event (KernelShark's visualization
// model bins entries by pixel column; Perfetto's trace processor keeps mipmaps of the
// longest slice per bucket).
//
// Per lane it keeps the lane's events (their cycles, a prefix sum of their charges) and a
// pyramid of maxima over blocks of 16, 256, 4096, ... events. bin() then answers, for each
// pixel column [start + k * width, start + (k + 1) * width): how many of the lane's events
// start in it, the first of them, the one with the largest charge, the cycles they were
// charged, and whether an earlier event's charge still covers the column.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "gui/event_store.h"
#include "gui/lanes.h"

namespace vmlab::gui {

struct Bin {
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  uint32_t count = 0;        // events of the lane that start in the column
  uint32_t first = kNone;    // store index of the first of them
  uint32_t longest = kNone;  // store index of the one with the largest charge
  uint64_t charged = 0;      // cycles charged to them
  bool covered = false;      // an event that started earlier still runs in the column
  bool operator==(const Bin&) const = default;
};

class TimelineIndex {
 public:
  TimelineIndex() = default;
  explicit TimelineIndex(const EventStore& store) { rebuild(store); }
  void rebuild(const EventStore& store);
  // Adds the store's events from index `from` on (events appended since the last call).
  void extend(const EventStore& store);

  // Bins the lane over out.size() columns of `width` cycles (> 0) from `start`.
  void bin(Lane lane, double start, double width, std::span<Bin> out) const;
  // The cycles charged to the lane's events that start before `cycle` (the counter lanes).
  uint64_t cumulative_charged(Lane lane, double cycle) const;
  uint64_t total_charged(Lane lane) const;
  size_t lane_size(Lane lane) const { return lanes_[index_of(lane)].events.size(); }
  size_t indexed() const { return indexed_; }

 private:
  static constexpr unsigned kFanout = 16;
  struct Peak {
    uint32_t charged;
    uint32_t position;  // in the lane
  };
  struct LaneIndex {
    std::vector<uint32_t> events;  // store indices, in cycle order
    std::vector<uint64_t> cycle;   // their cycles (a copy: the binary search stays local)
    std::vector<uint64_t> prefix;  // prefix[i] = charges of events [0, i); size + 1 entries
    std::vector<std::vector<Peak>> levels;  // levels[l][k]: max over block k of 16^(l+1)
    uint64_t max_end = 0;                   // largest cycle + charge so far
  };
  static uint32_t charge_at(const LaneIndex& lane, size_t i) {
    return static_cast<uint32_t>(lane.prefix[i + 1] - lane.prefix[i]);
  }
  static size_t upper_position(const LaneIndex& lane, size_t from, double cycle);
  static uint32_t longest_in(const LaneIndex& lane, size_t lo, size_t hi);
  static void extend_levels(LaneIndex& lane, size_t from);

  std::array<LaneIndex, kNumLanes> lanes_;
  size_t indexed_ = 0;
};

}  // namespace vmlab::gui
