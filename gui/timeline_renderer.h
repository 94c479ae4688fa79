// TimelineRenderer: draws the timeline of a run into any QPainter (the widget on screen,
// a QImage for screenshots and the frame-time benchmark). One lane per event class, x in
// modeled cycles, each pixel column drawn from its Bin (TimelineIndex), so a frame costs
// the same for a thousand events as for ten million. Below the lanes, the counter lane:
// cumulative cycles charged per class.
#pragma once

#include <QPainter>
#include <QPoint>
#include <QRect>
#include <optional>
#include <vector>

#include "gui/event_store.h"
#include "gui/timeline_index.h"

namespace vmlab::gui {

struct TimelineViewport {
  double start = 0;          // modeled cycle at the left edge of the lanes
  double cycles_per_px = 1;  // > 0
};

class TimelineRenderer {
 public:
  static constexpr int kLabelWidth = 170;
  static constexpr int kAxisHeight = 26;
  static constexpr int kLaneHeight = 24;
  static constexpr int kCounterHeight = 110;

  // The height that shows every lane and the counter lane.
  static int preferred_height();
  // The viewport that shows cycles [0, end) in a plot `plot_width` pixels wide.
  static TimelineViewport fit(uint64_t end, int plot_width);

  void paint(QPainter& painter, const QRect& area, const EventStore& store,
             const TimelineIndex& index, const TimelineViewport& view, uint64_t cpu_mhz,
             std::optional<size_t> selected);

  // The event under a point of `area` (within 3 pixels), or none.
  std::optional<size_t> event_at(const QRect& area, const QPoint& point, const TimelineIndex& index,
                                 const TimelineViewport& view) const;

  // The bins of the last paint, per lane (for tests and hit tests of what is drawn).
  const std::vector<Bin>& bins(Lane lane) const { return bins_[index_of(lane)]; }

 private:
  void paint_axis(QPainter& p, const QRect& plot, const TimelineViewport& view, uint64_t cpu_mhz);
  void paint_lanes(QPainter& p, const QRect& area, const QRect& plot, const TimelineIndex& index,
                   const TimelineViewport& view);
  void paint_counters(QPainter& p, const QRect& area, const QRect& plot, const TimelineIndex& index,
                      const TimelineViewport& view);

  std::array<std::vector<Bin>, kNumLanes> bins_;
};

// "12.5 M" style cycle counts for axes and labels.
QString format_cycles(double cycles);

}  // namespace vmlab::gui
