// The GUI timeline's frame time (issue 14: under 16 ms per frame at 10 million events on
// the project's 2-core machine): bin every lane by pixel column (gui/timeline_index.h) and
// paint the lanes and the counter lane into a 1600-pixel-wide QImage, as the widget does,
// while zooming and panning over 1 M and 10 M synthetic events. docs/performance.md has
// the figures and the command.
#include <benchmark/benchmark.h>

#include <QGuiApplication>
#include <QImage>
#include <QPainter>
#include <map>
#include <memory>
#include <random>

#include "gui/event_store.h"
#include "gui/timeline_index.h"
#include "gui/timeline_renderer.h"

namespace {

using vmlab::gui::EventStore;
using vmlab::gui::TimelineIndex;
using vmlab::gui::TimelineRenderer;
using vmlab::gui::TimelineViewport;

// A trace shaped like a virtualization run: events every 1-400 cycles, most free or cheap,
// one in eight charged a monitor entry of hundreds to thousands of cycles, kinds spread
// over every lane. Fixed seed: every run measures the same events.
struct Synthetic {
  EventStore store;
  TimelineIndex index;
};

const Synthetic& synthetic(size_t events) {
  static std::map<size_t, std::unique_ptr<Synthetic>> cache;
  auto& s = cache[events];
  if (!s) {
    s = std::make_unique<Synthetic>();
    std::mt19937_64 rng(14);
    const auto& kinds = vmlab::vmm::all_event_kinds();
    s->store.reserve(events);
    uint64_t cycle = 0;
    for (uint64_t i = 0; i < events; ++i) {
      cycle += 1 + rng() % 400;
      const uint64_t charged = rng() % 8 == 0 ? 200 + rng() % 3000 : rng() % 4;
      s->store.append(vmlab::vmm::Event{i,
                                        cycle,
                                        charged,
                                        static_cast<uint32_t>(rng()),
                                        {},
                                        kinds[rng() % kinds.size()],
                                        0,
                                        vmlab::vmm::ModeId::trap});
      cycle += charged;
    }
    s->index.rebuild(s->store);
  }
  return *s;
}

constexpr int kWidth = 1600;

void frame(benchmark::State& state, bool zoom) {
  const Synthetic& s = synthetic(static_cast<size_t>(state.range(0)));
  QImage image(kWidth, TimelineRenderer::preferred_height(), QImage::Format_RGB32);
  TimelineRenderer renderer;
  const int plot = kWidth - TimelineRenderer::kLabelWidth;
  const TimelineViewport whole = TimelineRenderer::fit(s.store.end_cycle(), plot);
  TimelineViewport view = whole;
  int step = 0;
  for (auto _ : state) {
    if (zoom) {
      // In by 1.25 per frame around the middle for 40 frames (to 1/7500 of the run),
      // then out again: every zoom level from the whole run to a few hundred events.
      const double factor = (step / 40) % 2 == 0 ? 1.25 : 0.8;
      const double centre = view.start + view.cycles_per_px * plot / 2;
      view.cycles_per_px /= factor;
      view.start = centre - view.cycles_per_px * plot / 2;
    } else {
      // Pan by an eighth of the screen at 1/50 of the run per screen, wrapping around.
      if (step == 0) view.cycles_per_px = whole.cycles_per_px / 50;
      view.start += view.cycles_per_px * plot / 8;
      if (view.start > static_cast<double>(s.store.end_cycle())) view.start = 0;
    }
    ++step;
    QPainter p(&image);
    renderer.paint(p, image.rect(), s.store, s.index, view, 1000, std::nullopt);
    p.end();
    benchmark::DoNotOptimize(image.constBits());
  }
  state.counters["events"] = static_cast<double>(s.store.size());
}

void BM_TimelineFrameZoom(benchmark::State& state) {
  frame(state, true);
}
void BM_TimelineFramePan(benchmark::State& state) {
  frame(state, false);
}
void BM_TimelineIndexBuild(benchmark::State& state) {
  const Synthetic& s = synthetic(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    TimelineIndex index(s.store);
    benchmark::DoNotOptimize(index.indexed());
  }
}

BENCHMARK(BM_TimelineFrameZoom)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TimelineFramePan)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TimelineIndexBuild)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace

int main(int argc, char** argv) {
  // Text needs a QGuiApplication; no display is needed.
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QGuiApplication app(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
