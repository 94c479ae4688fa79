// The timeline's bins as data: against hand-computed figures, against a brute-force
// binning of random events at many zooms, growing live (extend) as from scratch, and the
// renderer's hit test and bins after a paint into a QImage.
#include <QImage>
#include <QPainter>
#include <QTest>
#include <random>

#include "gui/timeline_index.h"
#include "gui/timeline_renderer.h"

using namespace vmlab;
using namespace vmlab::gui;

namespace {

vmm::Event ev(uint64_t seq, uint64_t cycle, uint64_t charged, vmm::EventKind kind) {
  return vmm::Event{seq, cycle, charged, 0, {}, kind, 0, vmm::ModeId::trap};
}

// Every column, every event: what bin() must return.
std::vector<Bin> brute(const EventStore& s, Lane lane, double start, double width, size_t n) {
  std::vector<Bin> out(n);
  for (size_t c = 0; c < n; ++c) {
    const double lo = start + static_cast<double>(c) * width, hi = lo + width;
    Bin& b = out[c];
    std::optional<size_t> prev;
    for (size_t i = 0; i < s.size(); ++i) {
      if (lane_of(s.kind(i)) != lane) continue;
      const auto cyc = static_cast<double>(s.cycle(i));
      if (cyc < lo) prev = i;
      if (cyc >= lo && cyc < hi) {
        if (b.count == 0) b.first = static_cast<uint32_t>(i);
        if (b.longest == Bin::kNone || s.charged(i) > s.charged(b.longest)) {
          b.longest = static_cast<uint32_t>(i);
        }
        ++b.count;
        b.charged += s.charged(i);
      }
    }
    if (prev) b.covered = static_cast<double>(s.cycle(*prev) + s.charged(*prev)) > lo;
  }
  return out;
}

}  // namespace

class TimelineTest : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void hand_computed_bins() {
    EventStore s;
    s.append(ev(0, 0, 30, vmm::EventKind::trap));  // covers columns 0..2 of width 10
    s.append(ev(1, 5, 0, vmm::EventKind::hypercall));
    s.append(ev(2, 12, 2, vmm::EventKind::trap));
    s.append(ev(3, 14, 7, vmm::EventKind::trap));
    s.append(ev(4, 35, 1, vmm::EventKind::trap));
    TimelineIndex index(s);
    std::vector<Bin> bins(5);
    index.bin(Lane::trap, 0, 10, bins);
    QCOMPARE(bins[0], (Bin{1, 0, 0, 30, false}));
    QCOMPARE(bins[1], (Bin{2, 2, 3, 9, true}));  // event 0 still runs; 3 is the longer
    QCOMPARE(bins[2], (Bin{0, Bin::kNone, Bin::kNone, 0, true}));  // 14 + 7 = 21 > 20
    QCOMPARE(bins[3], (Bin{1, 4, 4, 1, false}));
    QCOMPARE(bins[4], (Bin{0, Bin::kNone, Bin::kNone, 0, false}));
    index.bin(Lane::hypercall, 0, 10, bins);
    QCOMPARE(bins[0], (Bin{1, 1, 1, 0, false}));
    QCOMPARE(index.cumulative_charged(Lane::trap, 13), uint64_t{32});
    QCOMPARE(index.total_charged(Lane::trap), uint64_t{40});
  }

  void random_events_match_brute_force() {
    std::mt19937_64 rng(42);
    EventStore s;
    uint64_t cycle = 0;
    const auto& kinds = vmm::all_event_kinds();
    for (uint64_t i = 0; i < 6000; ++i) {
      cycle += rng() % 50;
      s.append(ev(i, cycle, rng() % 4 == 0 ? rng() % 400 : rng() % 5, kinds[rng() % kinds.size()]));
    }
    TimelineIndex index(s);
    const double end = static_cast<double>(s.end_cycle());
    for (double width : {0.37, 1.0, 13.0, 250.0, end / 97}) {
      for (double start : {-100.0, 0.0, 1234.5, end / 3}) {
        for (unsigned l = 0; l < kNumLanes; ++l) {
          std::vector<Bin> got(97);
          index.bin(static_cast<Lane>(l), start, width, got);
          const auto want = brute(s, static_cast<Lane>(l), start, width, got.size());
          for (size_t c = 0; c < got.size(); ++c) {
            QVERIFY2(got[c] == want[c],
                     qPrintable(QStringLiteral("lane %1 width %2 start %3 col %4")
                                    .arg(l)
                                    .arg(width)
                                    .arg(start)
                                    .arg(c)));
          }
        }
      }
    }
  }

  void extend_equals_rebuild() {
    std::mt19937_64 rng(7);
    EventStore s;
    TimelineIndex live;
    uint64_t cycle = 0;
    for (int batch = 0; batch < 20; ++batch) {
      for (int i = 0; i < 300 + batch * 7; ++i) {
        cycle += rng() % 20;
        s.append(ev(s.size(), cycle, rng() % 100,
                    rng() % 2 ? vmm::EventKind::trap : vmm::EventKind::hidden_fault));
      }
      live.extend(s);
    }
    TimelineIndex whole(s);
    for (double width : {1.0, 50.0, 3000.0}) {
      std::vector<Bin> a(300), b(300);
      for (Lane lane : {Lane::trap, Lane::hidden_fault}) {
        live.bin(lane, 0, width, a);
        whole.bin(lane, 0, width, b);
        QVERIFY(a == b);
      }
    }
  }

  void paint_and_hit_test() {
    EventStore s;
    s.append(ev(0, 1000, 500, vmm::EventKind::hypercall));
    s.append(ev(1, 9000, 10, vmm::EventKind::trap));
    TimelineIndex index(s);
    TimelineRenderer r;
    QImage image(1170, TimelineRenderer::preferred_height(), QImage::Format_RGB32);
    const TimelineViewport view{0, 10};  // 10 cycles per pixel, 1000 px of plot
    {
      QPainter p(&image);
      r.paint(p, image.rect(), s, index, view, 1000, std::nullopt);
    }
    // Event 0 starts in column 100 and its 500 cycles cover columns 100..149.
    QCOMPARE(r.bins(Lane::hypercall)[100].count, 1u);
    QVERIFY(r.bins(Lane::hypercall)[149].covered);
    QVERIFY(!r.bins(Lane::hypercall)[150].covered);
    QCOMPARE(r.bins(Lane::trap)[900].first, 1u);
    const int lane_y = TimelineRenderer::kAxisHeight +
                       static_cast<int>(index_of(Lane::hypercall)) * TimelineRenderer::kLaneHeight +
                       10;
    const auto hit =
        r.event_at(image.rect(), QPoint(TimelineRenderer::kLabelWidth + 101, lane_y), index, view);
    QVERIFY(hit.has_value());
    QCOMPARE(*hit, size_t{0});
    QVERIFY(!r.event_at(image.rect(), QPoint(TimelineRenderer::kLabelWidth + 500, lane_y), index,
                        view));
    // The pixel at the event's start is the lane's colour.
    QCOMPARE(image.pixel(TimelineRenderer::kLabelWidth + 120, lane_y) & 0xFFFFFF,
             lane_colour(Lane::hypercall));
  }
};

QTEST_MAIN(TimelineTest)
#include "timeline_test.moc"
