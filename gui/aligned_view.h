// AlignedView: two runs' timelines one above the other on one modeled-time axis, e.g. the
// same workload under trap and under bt. The upper one is the window's run (opened or
// live); the lower one is opened from a second run directory (File > Open a second run to
// align, or vmlab-gui --align DIR). Zooming or panning either moves both (the same start
// cycle and cycles per pixel); Home fits the longer of the two.
#pragma once

#include <QWidget>

#include "gui/run_document.h"

class QLabel;

namespace vmlab::gui {

class TimelineWidget;

class AlignedView : public QWidget {
  Q_OBJECT
 public:
  explicit AlignedView(const RunDocument* upper, QWidget* parent = nullptr);

  // Opens the lower run (a run directory, trace.jsonl or trace.json); false and the reason
  // in `why` when it cannot be read.
  bool open_lower(const QString& path, QString* why = nullptr);
  const RunDocument* lower() const { return lower_; }
  TimelineWidget* upper_timeline() { return upper_timeline_; }
  TimelineWidget* lower_timeline() { return lower_timeline_; }

 Q_SIGNALS:
  // The user asked to choose the lower run (the window opens a file dialog).
  void openLowerRequested();

 private:
  void follow(TimelineWidget* from, TimelineWidget* to);
  // The headers and the span Home fits.
  void refresh();
  // refresh(), then both timelines fit the longer run.
  void refit();

  const RunDocument* upper_;
  RunDocument* lower_;
  QLabel* upper_label_ = nullptr;
  QLabel* lower_label_ = nullptr;
  TimelineWidget* upper_timeline_ = nullptr;
  TimelineWidget* lower_timeline_ = nullptr;
  bool syncing_ = false;
};

// One line about a run for the aligned view's headers: what it is and its totals.
QString describe_run(const RunSummary& summary, size_t events);

}  // namespace vmlab::gui
