// MainWindow: vmlab-gui's window. A run (opened from a `vmlab run --out` directory or run
// live) is shown as a timeline, an event table, counters; `vmlab compare` results as
// grouped bar charts. Problems with what was opened show in a banner, never as a crash.
#pragma once

#include <QMainWindow>
#include <QPointer>
#include <QTranslator>

#include <memory>

#include "gui/run_document.h"
#include "gui/run_loader.h"

class QLabel;
class QProgressBar;
class QPushButton;
class QTabWidget;
class QSplitter;
class QActionGroup;

namespace vmlab::gui {

class TimelineWidget;
class EventsView;
class CountersView;
class CompareView;
class RunPanel;
class CodeView;
class MemoryView;
class AlignedView;
class MigrationView;
class ScreenView;
class TraceLoadJob;
class EventSelection;
class CellRun;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  enum class View {
    timeline,
    events,
    counters,
    compare,
    run,
    code,
    memory,
    aligned,
    migration,
    screen
  };
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Opens a run directory or trace (trace.jsonl, trace.json); false (and the reason in the
  // banner) on failure.
  bool open_run(const QString& path);
  // The same on a worker thread (TraceLoadJob): a progress bar and a Cancel button in the
  // status bar while it loads, the window responsive; the run replaces the open one when
  // it has loaded. A load already going is cancelled.
  void open_run_in_background(const QString& path);
  // The load going on, or nullptr.
  TraceLoadJob* loading() { return loading_.get(); }
  // Cancels the load going on (the open run stays).
  void cancel_loading();
  // Opens `vmlab compare --format json` output.
  bool open_compare(const QString& file);
  // Opens `vmlab sweep --out DIR` results in the compare view (open_run and File > Open do
  // for a sweep's folder).
  bool open_sweep(const QString& dir);
  // Opens the run of the open sweep's cell `name` (recording it first: gui/cell_run.h).
  void open_sweep_cell(const QString& name);
  // The cell run being recorded, or nullptr.
  CellRun* recording() { return cell_run_.get(); }
  // Opens a second run below the first in the aligned view.
  bool open_aligned(const QString& path);
  // Opens a run for the aligned view's upper row (instead of the window's run).
  bool open_aligned_upper(const QString& path);
  void show_view(View view);
  // Selects an event in the table and on the timeline (nothing when out of range).
  void select_event(size_t event);
  // The widget a screenshot of `view` shows.
  QWidget* view_widget(View view);
  // "sv" or "en".
  void set_language(const QString& language);
  QString banner_text() const;

  RunDocument* document() { return document_; }
  // The one selected event all views share (gui/event_selection.h).
  EventSelection* selection() { return selection_; }
  TimelineWidget* timeline() { return timeline_; }
  EventsView* events() { return events_; }
  CountersView* counters() { return counters_; }
  CompareView* compare() { return compare_; }
  RunPanel* run_panel() { return run_panel_; }
  CodeView* code() { return code_; }
  MemoryView* memory() { return memory_; }
  AlignedView* aligned() { return aligned_; }
  MigrationView* migration() { return migration_; }
  ScreenView* screen() { return screen_; }

 private:
  void build_ui();
  void build_menus();
  void show_banner(const QString& text, bool error);
  void update_status();
  void choose_run_directory();
  void choose_compare_file();
  void choose_sweep_dir();
  void cell_run_finished(bool ok, const QString& error);
  void choose_aligned_run();
  void choose_aligned_upper_run();
  void choose_trace_file();
  void show_loaded(LoadedRun run);
  void loading_finished();

  RunDocument* document_;
  EventSelection* selection_;
  QTranslator translator_;
  QString language_ = QStringLiteral("en");
  QString compare_file_;
  QString sweep_dir_;
  std::unique_ptr<CellRun> cell_run_;
  QString aligned_path_;
  QString aligned_upper_path_;
  QLabel* banner_ = nullptr;
  QLabel* status_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QPushButton* cancel_ = nullptr;
  std::unique_ptr<TraceLoadJob> loading_;
  QTabWidget* tabs_ = nullptr;
  TimelineWidget* timeline_ = nullptr;
  EventsView* events_ = nullptr;
  CountersView* counters_ = nullptr;
  CompareView* compare_ = nullptr;
  RunPanel* run_panel_ = nullptr;
  CodeView* code_ = nullptr;
  MemoryView* memory_ = nullptr;
  AlignedView* aligned_ = nullptr;
  MigrationView* migration_ = nullptr;
  ScreenView* screen_ = nullptr;
  QSplitter* timeline_split_ = nullptr;
};

}  // namespace vmlab::gui
