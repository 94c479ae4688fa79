// The command line of vmlab-gui (docs/gui.md), parsed apart from main() so tests can
// check it.
#pragma once

#include <QString>
#include <QStringList>
#include <optional>

#include "gui/inspection_views.h"
#include "gui/live_run.h"
#include "gui/main_window.h"

namespace vmlab::gui {

struct AppOptions {
  QString open;         // run directory or trace.jsonl
  QString compare;      // vmlab compare --format json output
  QString align;        // a second run for the aligned view
  QString align_upper;  // a run for the aligned view's upper row (default: the window's)
  std::optional<MainWindow::View> view;
  QString screenshot;  // PNG to write, then exit
  QString language = QStringLiteral("en");
  int width = 1280;
  int height = 820;
  bool run = false;  // start a live run with `live` (and, with --screenshot, wait for its end)
  LiveRunOptions live;
  long long select = -1;                  // the event (store index) to select, -1 for none
  long long instructions = -1;            // with --run: run this many instructions, then pause
  long long steps = 0;                    // with --run: then press Step this many times
  std::optional<PageFilter> memory_show;  // --memory-show
  std::optional<uint32_t> go_to;          // --goto: the memory view's first page
  bool breakdown_cycles = false;          // --breakdown cycles
  QString breakdown_of;                   // --breakdown-of WORKLOAD
  long long sweep_set = -1;               // --sweep-set: an opened sweep's configuration
  bool help = false;
};

// Fills `options`, or returns an error message for the user.
std::optional<QString> parse_app_options(const QStringList& arguments, AppOptions& options);
QString app_usage();

}  // namespace vmlab::gui
