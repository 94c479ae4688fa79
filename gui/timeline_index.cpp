#include "gui/timeline_index.h"

#include <algorithm>
#include <cmath>

namespace vmlab::gui {

void TimelineIndex::rebuild(const EventStore& store) {
  lanes_ = {};
  indexed_ = 0;
  extend(store);
}

void TimelineIndex::extend(const EventStore& store) {
  std::array<size_t, kNumLanes> old_size{};
  for (unsigned l = 0; l < kNumLanes; ++l) {
    old_size[l] = lanes_[l].events.size();
    if (lanes_[l].prefix.empty()) lanes_[l].prefix.push_back(0);
  }
  std::array<Lane, 64> lane_of_kind{};
  for (unsigned k = 1; k < vmm::kNumEventKinds; ++k) {
    lane_of_kind[k] = lane_of(static_cast<vmm::EventKind>(k));
  }
  const auto kinds = store.kinds();
  const auto cycles = store.cycles();
  const auto charges = store.charges();
  for (size_t i = indexed_; i < store.size(); ++i) {
    const uint8_t k = kinds[i];
    LaneIndex& lane = lanes_[index_of(k < lane_of_kind.size() ? lane_of_kind[k] : Lane::other)];
    lane.events.push_back(static_cast<uint32_t>(i));
    lane.cycle.push_back(cycles[i]);
    lane.prefix.push_back(lane.prefix.back() + charges[i]);
    lane.max_end = std::max(lane.max_end, cycles[i] + charges[i]);
  }
  indexed_ = store.size();
  for (unsigned l = 0; l < kNumLanes; ++l) extend_levels(lanes_[l], old_size[l]);
}

// Recomputes the pyramid blocks that events from lane position `from` on fall into.
void TimelineIndex::extend_levels(LaneIndex& lane, size_t from) {
  size_t below = lane.events.size();  // entries of the level underneath
  size_t changed = from;              // first entry underneath that changed
  for (size_t level = 0; below > 1; ++level) {
    const size_t blocks = (below + kFanout - 1) / kFanout;
    if (lane.levels.size() <= level) lane.levels.emplace_back();
    std::vector<Peak>& peaks = lane.levels[level];
    peaks.resize(blocks);
    const size_t first_block = changed / kFanout;
    for (size_t b = first_block; b < blocks; ++b) {
      Peak best{0, Bin::kNone};
      const size_t end = std::min(below, (b + 1) * kFanout);
      for (size_t e = b * kFanout; e < end; ++e) {
        const Peak p = level == 0 ? Peak{charge_at(lane, e), static_cast<uint32_t>(e)}
                                  : lane.levels[level - 1][e];
        if (best.position == Bin::kNone || p.charged > best.charged) best = p;
      }
      peaks[b] = best;
    }
    below = blocks;
    changed = first_block;
  }
}

// The first lane position at or after `from` whose cycle is >= `cycle`: galloping from
// `from`, since the columns of a frame ask in increasing order.
size_t TimelineIndex::upper_position(const LaneIndex& lane, size_t from, double cycle) {
  const size_t n = lane.cycle.size();
  auto below = [&](size_t i) { return static_cast<double>(lane.cycle[i]) < cycle; };
  if (from >= n || !below(from)) return from;
  size_t step = 1;
  size_t lo = from;  // below(lo) holds
  size_t hi = from + step;
  while (hi < n && below(hi)) {
    lo = hi;
    step *= 2;
    hi = lo + step;
  }
  hi = std::min(hi, n);
  // below(lo), and hi == n or !below(hi).
  while (hi - lo > 1) {
    const size_t mid = lo + (hi - lo) / 2;
    (below(mid) ? lo : hi) = mid;
  }
  return hi;
}

// The lane position in [lo, hi) with the largest charge (the first of equals).
uint32_t TimelineIndex::longest_in(const LaneIndex& lane, size_t lo, size_t hi) {
  Peak best{0, Bin::kNone};
  auto consider = [&](Peak p) {
    if (best.position == Bin::kNone || p.charged > best.charged ||
        (p.charged == best.charged && p.position < best.position)) {
      best = p;
    }
  };
  size_t level = 0;  // 0: single events; l > 0: lane.levels[l - 1]
  auto at = [&](size_t k) {
    return level == 0 ? Peak{charge_at(lane, k), static_cast<uint32_t>(k)}
                      : lane.levels[level - 1][k];
  };
  while (lo < hi) {
    if (level == lane.levels.size() || hi - lo <= 2 * kFanout) {
      for (size_t k = lo; k < hi; ++k) consider(at(k));
      break;
    }
    // More than two blocks apart: take the ragged ends here, the whole blocks one level up.
    while (lo % kFanout != 0) consider(at(lo++));
    while (hi % kFanout != 0) consider(at(--hi));
    lo /= kFanout;
    hi /= kFanout;
    ++level;
  }
  return best.position;
}

void TimelineIndex::bin(Lane lane_id, double start, double width, std::span<Bin> out) const {
  const LaneIndex& lane = lanes_[index_of(lane_id)];
  std::fill(out.begin(), out.end(), Bin{});
  if (lane.events.empty() || out.empty() || !(width > 0)) return;
  size_t lo = upper_position(lane, 0, start);
  for (size_t c = 0; c < out.size(); ++c) {
    const double column_start = start + static_cast<double>(c) * width;
    const double column_end = column_start + width;
    if (column_start >= static_cast<double>(lane.max_end) && lo >= lane.events.size()) break;
    const size_t hi = upper_position(lane, lo, column_end);
    Bin& b = out[c];
    if (lo > 0) {
      const size_t prev = lo - 1;
      b.covered = static_cast<double>(lane.cycle[prev] + charge_at(lane, prev)) > column_start;
    }
    if (hi > lo) {
      b.count = static_cast<uint32_t>(hi - lo);
      b.first = lane.events[lo];
      b.longest = lane.events[longest_in(lane, lo, hi)];
      b.charged = lane.prefix[hi] - lane.prefix[lo];
    }
    lo = hi;
  }
}

uint64_t TimelineIndex::cumulative_charged(Lane lane_id, double cycle) const {
  const LaneIndex& lane = lanes_[index_of(lane_id)];
  if (lane.events.empty()) return 0;
  const auto it = std::lower_bound(lane.cycle.begin(), lane.cycle.end(), cycle,
                                   [](uint64_t a, double c) { return static_cast<double>(a) < c; });
  return lane.prefix[static_cast<size_t>(it - lane.cycle.begin())];
}

uint64_t TimelineIndex::total_charged(Lane lane) const {
  const LaneIndex& l = lanes_[index_of(lane)];
  return l.prefix.empty() ? 0 : l.prefix.back();
}

}  // namespace vmlab::gui
