// vmlab-gui: the window (gui/main_window.h); with --screenshot it renders one view into a
// PNG and exits, so docs and labs can embed current pictures (docs/gui.md).
#include <QApplication>
#include <QTimer>
#include <cstdio>

#include "gui/app_options.h"
#include "gui/compare_view.h"
#include "gui/events_view.h"
#include "gui/main_window.h"
#include "gui/run_panel.h"

int main(int argc, char** argv) {
  // Options first, without a display: --help and usage errors work anywhere.
  QStringList arguments;
  for (int i = 0; i < argc; ++i) arguments << QString::fromLocal8Bit(argv[i]);
  vmlab::gui::AppOptions options;
  if (const auto error = vmlab::gui::parse_app_options(arguments, options)) {
    std::fprintf(stderr, "vmlab-gui: %s\n", error->toLocal8Bit().constData());
    return 64;
  }
  if (options.help) {
    std::fputs(vmlab::gui::app_usage().toLocal8Bit().constData(), stdout);
    return 0;
  }
  QApplication app(argc, argv);
  QApplication::setApplicationName(QStringLiteral("vmlab-gui"));
  vmlab::gui::MainWindow window;
  window.set_language(options.language);
  window.resize(options.width, options.height);
  int status = 0;
  // A screenshot needs the run before it renders; a window for the user loads it in the
  // background, with progress and Cancel.
  if (!options.open.isEmpty()) {
    if (!options.screenshot.isEmpty()) {
      if (!window.open_run(options.open)) status = 1;
    } else {
      window.open_run_in_background(options.open);
    }
  }
  if (!options.compare.isEmpty() && !window.open_compare(options.compare)) status = 1;
  if (options.sweep_set >= 0 && !window.compare()->set_configuration(options.sweep_set)) {
    std::fprintf(stderr,
                 "vmlab-gui: --sweep-set %lld: no such profile and cost set (open a "
                 "sweep with --open; its sets are numbered from 0)\n",
                 options.sweep_set);
    status = 1;
  }
  if (options.breakdown_cycles) window.compare()->set_breakdown_cycles(true);
  if (!options.breakdown_of.isEmpty() &&
      !window.compare()->set_breakdown_workload(options.breakdown_of)) {
    std::fprintf(stderr, "vmlab-gui: --breakdown-of: the comparison has no workload '%s'\n",
                 options.breakdown_of.toLocal8Bit().constData());
    status = 1;
  }
  if (!options.align.isEmpty() && !window.open_aligned(options.align)) status = 1;
  if (!options.align_upper.isEmpty() && !window.open_aligned_upper(options.align_upper)) {
    status = 1;
  }
  if (status != 0) {
    std::fprintf(stderr, "vmlab-gui: %s\n", window.banner_text().toLocal8Bit().constData());
  }
  if (options.run) {
    window.run_panel()->set_options(options.live);
    window.show_view(vmlab::gui::MainWindow::View::run);
    if (options.instructions > 0) {
      window.run_panel()->run_for(static_cast<uint64_t>(options.instructions));
    } else if (options.steps == 0) {
      window.run_panel()->resume();
    }
    // The Step button's own action, pressed N times (each a command the worker queues).
    for (long long i = 0; i < options.steps; ++i) window.run_panel()->step();
  }
  if (options.memory_show) window.memory()->set_filter(*options.memory_show);
  if (options.go_to) window.memory()->go_to(*options.go_to);
  if (options.view) window.show_view(*options.view);
  if (options.select >= 0) window.select_event(static_cast<size_t>(options.select));
  window.show();
  if (options.screenshot.isEmpty()) return QApplication::exec();

  // Screenshot: wait (without a nested event loop) for a live run to stop, then grab.
  auto* poll = new QTimer(&window);
  poll->setInterval(50);
  QObject::connect(poll, &QTimer::timeout, &window, [&] {
    vmlab::gui::RunPanel* run = window.run_panel();
    if (options.run && (run->busy() || run->status().state == vmlab::vmm::VmState::kRunning)) {
      return;
    }
    run->poll();
    poll->stop();
    // Laid out now: the selected row scrolls to the middle of the table.
    if (options.select >= 0) window.events()->select_event(static_cast<size_t>(options.select));
    QWidget* target =
        window.view_widget(options.view.value_or(vmlab::gui::MainWindow::View::timeline));
    if (!target->grab().save(options.screenshot, "PNG")) {
      std::fprintf(stderr, "vmlab-gui: cannot write %s\n",
                   options.screenshot.toLocal8Bit().constData());
      status = 73;
    }
    QApplication::exit(status);
  });
  poll->start();
  return QApplication::exec();
}
