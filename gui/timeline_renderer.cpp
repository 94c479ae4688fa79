#include "gui/timeline_renderer.h"

#include <QCoreApplication>
#include <algorithm>
#include <cmath>

namespace vmlab::gui {

namespace {

// A tick's modeled time in the unit that keeps it short and exact: 500 µs, 2.5 ms, 1.2 s
// (never 1e+04 µs).
QString format_modeled_time(double us) {
  if (us < 10000) return QStringLiteral("%1 µs").arg(us, 0, 'f', us < 10 ? 3 : 0);
  if (us < 10'000'000) return QStringLiteral("%1 ms").arg(us / 1000, 0, 'g', 6);
  return QStringLiteral("%1 s").arg(us / 1'000'000, 0, 'g', 6);
}

QString lane_label(Lane lane) {
  return QCoreApplication::translate("Lane", lane_name(lane));
}

// 1, 2, 5 x 10^k: the tick spacing that puts ticks about `target` pixels apart.
double nice_step(double cycles_per_px, double target) {
  const double raw = cycles_per_px * target;
  const double power = std::pow(10.0, std::floor(std::log10(std::max(raw, 1.0))));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * power >= raw) return std::max(1.0, m * power);
  }
  return std::max(1.0, 10 * power);
}

}  // namespace

QString format_cycles(double cycles) {
  const double a = std::abs(cycles);
  if (a >= 1e9) return QStringLiteral("%1 G").arg(cycles / 1e9, 0, 'g', 4);
  if (a >= 1e6) return QStringLiteral("%1 M").arg(cycles / 1e6, 0, 'g', 4);
  if (a >= 1e3) return QStringLiteral("%1 k").arg(cycles / 1e3, 0, 'g', 4);
  return QString::number(static_cast<qlonglong>(std::llround(cycles)));
}

int TimelineRenderer::preferred_height() {
  return kAxisHeight + static_cast<int>(kNumLanes) * kLaneHeight + kCounterHeight + 8;
}

TimelineViewport TimelineRenderer::fit(uint64_t end, int plot_width) {
  const double w = std::max(plot_width, 1);
  return TimelineViewport{0, std::max(static_cast<double>(std::max<uint64_t>(end, 1)) / w, 1e-3)};
}

void TimelineRenderer::paint(QPainter& p, const QRect& area, const EventStore& store,
                             const TimelineIndex& index, const TimelineViewport& view,
                             uint64_t cpu_mhz, std::optional<size_t> selected) {
  p.fillRect(area, QColor(0xFA, 0xFA, 0xF7));
  const QRect plot(area.left() + kLabelWidth, area.top(), std::max(area.width() - kLabelWidth, 1),
                   area.height());
  const auto columns = static_cast<size_t>(plot.width());
  for (unsigned l = 0; l < kNumLanes; ++l) {
    bins_[l].resize(columns);
    index.bin(static_cast<Lane>(l), view.start, view.cycles_per_px, bins_[l]);
  }
  paint_axis(p, plot, view, cpu_mhz);
  paint_lanes(p, area, plot, index, view);
  paint_counters(p, area, plot, index, view);
  if (selected && *selected < store.size()) {
    const double x =
        (static_cast<double>(store.cycle(*selected)) - view.start) / view.cycles_per_px;
    if (x >= 0 && x < plot.width()) {
      const int lane = static_cast<int>(index_of(lane_of(store.kind(*selected))));
      const int px = plot.left() + static_cast<int>(x);
      p.setPen(QPen(QColor(0xE0, 0x10, 0x10), 2));
      p.drawLine(px, plot.top() + kAxisHeight, px,
                 plot.top() + kAxisHeight + static_cast<int>(kNumLanes) * kLaneHeight);
      p.drawRect(px - 4, plot.top() + kAxisHeight + lane * kLaneHeight + 1, 8, kLaneHeight - 2);
    }
  }
}

void TimelineRenderer::paint_axis(QPainter& p, const QRect& plot, const TimelineViewport& view,
                                  uint64_t cpu_mhz) {
  p.setPen(QColor(0x40, 0x40, 0x40));
  QFont f = p.font();
  f.setPixelSize(11);
  p.setFont(f);
  const double step = nice_step(view.cycles_per_px, 110);
  const double first = std::ceil(view.start / step) * step;
  const int bottom = plot.top() + kAxisHeight - 1;
  p.drawLine(plot.left(), bottom, plot.right(), bottom);
  const int lanes_bottom = plot.top() + kAxisHeight + static_cast<int>(kNumLanes) * kLaneHeight;
  for (double t = first; (t - view.start) / view.cycles_per_px < plot.width(); t += step) {
    const int x = plot.left() + static_cast<int>((t - view.start) / view.cycles_per_px);
    p.setPen(QColor(0xDD, 0xDD, 0xDD));
    p.drawLine(x, bottom, x, lanes_bottom);
    p.setPen(QColor(0x40, 0x40, 0x40));
    p.drawLine(x, bottom - 5, x, bottom);
    QString label = format_cycles(t);
    if (cpu_mhz != 0 && t != 0) {
      label += QStringLiteral(" (%1)").arg(format_modeled_time(t / static_cast<double>(cpu_mhz)));
    }
    p.drawText(x + 3, plot.top() + 14, label);
  }
  p.drawText(QRect(plot.left() - kLabelWidth + 6, plot.top(), kLabelWidth - 8, kAxisHeight - 4),
             Qt::AlignLeft | Qt::AlignVCenter,
             QCoreApplication::translate("Timeline", "modeled cycles"));
}

void TimelineRenderer::paint_lanes(QPainter& p, const QRect& area, const QRect& plot,
                                   const TimelineIndex& index, const TimelineViewport& view) {
  QFont f = p.font();
  f.setPixelSize(12);
  p.setFont(f);
  for (unsigned l = 0; l < kNumLanes; ++l) {
    const Lane lane = static_cast<Lane>(l);
    const int top = plot.top() + kAxisHeight + static_cast<int>(l) * kLaneHeight;
    const QColor colour = QColor(QRgb(lane_colour(lane)));
    if (l % 2 == 1)
      p.fillRect(QRect(area.left(), top, area.width(), kLaneHeight), QColor(0xF0, 0xF0, 0xEC));
    // Label: swatch, name, events in the lane.
    p.fillRect(QRect(area.left() + 4, top + 7, 10, 10), colour);
    p.setPen(index.lane_size(lane) == 0 ? QColor(0xA0, 0xA0, 0xA0) : QColor(0x20, 0x20, 0x20));
    p.drawText(QRect(area.left() + 18, top, kLabelWidth - 22, kLaneHeight),
               Qt::AlignLeft | Qt::AlignVCenter, lane_label(lane));
    // Columns: height from the share of the column's cycles the lane's events were charged
    // (at least a third, so a free event still shows), full where a long event runs on.
    const std::vector<Bin>& bins = bins_[l];
    int run_start = -1;
    int run_height = 0;
    auto flush = [&](int end) {
      if (run_start >= 0 && run_height > 0) {
        p.fillRect(QRect(plot.left() + run_start, top + kLaneHeight - 2 - run_height,
                         end - run_start, run_height),
                   colour);
      }
    };
    const int full = kLaneHeight - 4;
    for (size_t c = 0; c < bins.size(); ++c) {
      const Bin& b = bins[c];
      int h = 0;
      if (b.covered) {
        h = full;
      } else if (b.count != 0) {
        const double occupancy = std::min(1.0, static_cast<double>(b.charged) / view.cycles_per_px);
        h = full / 3 + static_cast<int>(std::lround((full - full / 3) * occupancy));
      }
      if (h != run_height) {
        flush(static_cast<int>(c));
        run_start = static_cast<int>(c);
        run_height = h;
      }
    }
    flush(static_cast<int>(bins.size()));
  }
}

void TimelineRenderer::paint_counters(QPainter& p, const QRect& area, const QRect& plot,
                                      const TimelineIndex& index, const TimelineViewport& view) {
  const int top = plot.top() + kAxisHeight + static_cast<int>(kNumLanes) * kLaneHeight + 6;
  const QRect box(plot.left(), top, plot.width(), kCounterHeight - 8);
  p.fillRect(box, QColor(0xFF, 0xFF, 0xFF));
  p.setPen(QColor(0xC0, 0xC0, 0xC0));
  p.drawRect(box.adjusted(0, 0, -1, -1));
  p.setPen(QColor(0x20, 0x20, 0x20));
  p.drawText(QRect(area.left() + 6, top, kLabelWidth - 10, 40), Qt::AlignLeft | Qt::TextWordWrap,
             QCoreApplication::translate("Timeline", "cumulative cycles charged per class"));
  uint64_t scale = 1;
  std::array<uint64_t, kNumLanes> start{};
  for (unsigned l = 0; l < kNumLanes; ++l) {
    const Lane lane = static_cast<Lane>(l);
    start[l] = index.cumulative_charged(lane, view.start);
    uint64_t end = start[l];
    for (const Bin& b : bins_[l]) end += b.charged;
    scale = std::max(scale, end);
  }
  if (scale == 1 && start == std::array<uint64_t, kNumLanes>{}) {
    p.drawText(
        box, Qt::AlignCenter,
        QCoreApplication::translate(
            "Timeline", "No cycles charged to events here (the cost profile may charge none)."));
    return;
  }
  p.drawText(QRect(area.left() + 6, top + 40, kLabelWidth - 10, 20), Qt::AlignLeft,
             QCoreApplication::translate("Timeline", "top: %1")
                 .arg(format_cycles(static_cast<double>(scale))));
  p.setRenderHint(QPainter::Antialiasing, false);
  std::vector<QPoint> points;
  struct Label {
    int y;
    unsigned lane;
    uint64_t sum;
  };
  std::vector<Label> labels;
  for (unsigned l = 0; l < kNumLanes; ++l) {
    if (index.total_charged(static_cast<Lane>(l)) == 0) continue;
    p.setPen(QPen(QColor(QRgb(lane_colour(static_cast<Lane>(l)))), 2));
    points.clear();
    uint64_t sum = start[l];
    int last_y = -1;
    for (size_t c = 0; c < bins_[l].size(); ++c) {
      sum += bins_[l][c].charged;
      const int y = box.bottom() - 2 -
                    static_cast<int>(static_cast<double>(sum) / static_cast<double>(scale) *
                                     (box.height() - 6));
      // Only the corners: a flat stretch is one segment.
      if (y != last_y || c + 1 == bins_[l].size()) {
        if (!points.empty()) points.emplace_back(box.left() + static_cast<int>(c), last_y);
        points.emplace_back(box.left() + static_cast<int>(c), y);
        last_y = y;
      }
    }
    if (points.size() >= 2) p.drawPolyline(points.data(), static_cast<int>(points.size()));
    labels.push_back({last_y, l, sum});
  }
  // Name each line at its right end, the labels pushed apart so they do not overlap.
  std::sort(labels.begin(), labels.end(), [](const auto& a, const auto& b) { return a.y < b.y; });
  QFont small = p.font();
  small.setPixelSize(11);
  p.setFont(small);
  int next_free = box.top() + 2;
  for (const auto& label : labels) {
    const int y = std::max(label.y - 6, next_free);
    next_free = y + 13;
    const QString text = QStringLiteral("%1  %2").arg(
        lane_label(static_cast<Lane>(label.lane)), format_cycles(static_cast<double>(label.sum)));
    const QRect r(box.right() - 260, y, 254, 13);
    p.fillRect(p.fontMetrics().boundingRect(r, Qt::AlignRight, text).adjusted(-2, 0, 2, 0),
               QColor(255, 255, 255, 220));
    p.setPen(QColor(QRgb(lane_colour(static_cast<Lane>(label.lane)))).darker(130));
    p.drawText(r, Qt::AlignRight, text);
  }
}

std::optional<size_t> TimelineRenderer::event_at(const QRect& area, const QPoint& point,
                                                 const TimelineIndex& index,
                                                 const TimelineViewport& view) const {
  const int x = point.x() - area.left() - kLabelWidth;
  const int y = point.y() - area.top() - kAxisHeight;
  if (x < 0 || y < 0 || y >= static_cast<int>(kNumLanes) * kLaneHeight) return std::nullopt;
  const Lane lane = static_cast<Lane>(y / kLaneHeight);
  constexpr int kSlack = 3;
  std::array<Bin, 2 * kSlack + 1> near{};
  index.bin(lane, view.start + (x - kSlack) * view.cycles_per_px, view.cycles_per_px, near);
  for (int d = 0; d <= kSlack; ++d) {
    for (int side : {kSlack + d, kSlack - d}) {
      const Bin& b = near[static_cast<size_t>(side)];
      if (b.count != 0) return b.longest;
    }
  }
  return std::nullopt;
}

}  // namespace vmlab::gui
