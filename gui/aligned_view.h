// AlignedView: two runs' timelines one above the other on one modeled-time axis, e.g. the
// same workload under trap and under bt. The user chooses both: the upper row shows the
// window's run (opened or live) until another run directory is opened for it (its Open
// button, or vmlab-gui --align-upper DIR), and goes back to it with "Use the window's
// run"; the lower row shows a run directory opened for it (its Open button, File > Open a
// second run to align, or vmlab-gui --align DIR). Zooming or panning either moves both
// (the same start cycle and cycles per pixel); Home fits the longer of the two. A click
// selects the event in the window's one selection (gui/event_selection.h): in the window's
// run it is the event table's selection too; the line above the rows spells it out.
#pragma once

#include <QWidget>

#include "gui/run_document.h"

class QLabel;
class QPushButton;

namespace vmlab::gui {

class TimelineWidget;
class EventSelection;

class AlignedView : public QWidget {
  Q_OBJECT
 public:
  // `window_run`: the window's run, which the upper row shows until the user opens another.
  explicit AlignedView(const RunDocument* window_run, QWidget* parent = nullptr);

  // Opens the lower run (a run directory, trace.jsonl or trace.json); false and the reason
  // in `why` when it cannot be read (the row keeps what it showed).
  bool open_lower(const QString& path, QString* why = nullptr);
  // The same for the upper row, which then no longer follows the window's run.
  bool open_upper(const QString& path, QString* why = nullptr);
  // The upper row shows the window's run again.
  void use_window_run();
  // The window's selection, which both rows select through and show.
  void set_selection(EventSelection* selection);
  // The line that spells out the selected event ("" when none of these runs' is selected).
  QString selected_text() const;
  bool upper_is_window_run() const { return upper_ == window_run_; }
  const RunDocument* upper() const { return upper_; }
  const RunDocument* lower() const { return lower_; }
  TimelineWidget* upper_timeline() { return upper_timeline_; }
  TimelineWidget* lower_timeline() { return lower_timeline_; }

 Q_SIGNALS:
  // The user asked to choose the lower (upper) run (the window opens a file dialog).
  void openLowerRequested();
  void openUpperRequested();
  // The upper row went back to the window's run.
  void usingWindowRun();

 private:
  void follow(TimelineWidget* from, TimelineWidget* to);
  // Shows `document` in the upper row and follows its changes.
  void show_upper(const RunDocument* document);
  // The headers and the span Home fits.
  void refresh();
  // refresh(), then both timelines fit the longer run.
  void refit();
  // The selected-event line.
  void show_selected();

  const RunDocument* window_run_;
  RunDocument* upper_own_;    // a run opened for the upper row
  const RunDocument* upper_;  // window_run_ or upper_own_
  RunDocument* lower_;
  QPushButton* use_window_ = nullptr;
  QLabel* upper_label_ = nullptr;
  QLabel* lower_label_ = nullptr;
  QLabel* selected_label_ = nullptr;
  EventSelection* selection_ = nullptr;
  TimelineWidget* upper_timeline_ = nullptr;
  TimelineWidget* lower_timeline_ = nullptr;
  bool syncing_ = false;
};

// One line about a run for the aligned view's headers: what it is and its totals.
QString describe_run(const RunSummary& summary, size_t events);

}  // namespace vmlab::gui
