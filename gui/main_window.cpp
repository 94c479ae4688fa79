#include "gui/main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QEvent>
#include <QFileDialog>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>

#include <QFileInfo>

#include "gui/aligned_view.h"
#include "gui/cell_run.h"
#include "gui/compare_view.h"
#include "gui/counters_view.h"
#include "gui/event_selection.h"
#include "gui/events_view.h"
#include "gui/inspection_views.h"
#include "gui/migration_view.h"
#include "gui/run_loader.h"
#include "gui/run_panel.h"
#include "gui/screen_view.h"
#include "gui/timeline_widget.h"
#include "gui/trace_load_job.h"

namespace vmlab::gui {

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), document_(new RunDocument(this)), selection_(new EventSelection(this)) {
  resize(1280, 820);
  build_ui();
}

MainWindow::~MainWindow() = default;  // a load going on is cancelled (~TraceLoadJob)

void MainWindow::build_ui() {
  setWindowTitle(tr("vmlab — watch a guest under five ways of virtualizing x86"));
  const int current = tabs_ != nullptr ? tabs_->currentIndex() : 0;
  const QString banner = banner_ != nullptr ? banner_->text() : QString();
  const bool banner_visible = banner_ != nullptr && !banner_->isHidden();
  const QString banner_style = banner_ != nullptr ? banner_->styleSheet() : QString();
  TimelineViewport view;
  bool keep_view = false;
  if (timeline_ != nullptr) {
    view = timeline_->viewport();
    keep_view = true;
  }
  if (run_panel_ != nullptr) run_panel_->stop_and_wait();

  auto* central = new QWidget;
  auto* layout = new QVBoxLayout(central);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(0);
  banner_ = new QLabel;
  banner_->setWordWrap(true);
  banner_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  banner_->setContentsMargins(10, 6, 10, 6);
  banner_->setText(banner);
  banner_->setStyleSheet(banner_style);
  banner_->setVisible(banner_visible);
  layout->addWidget(banner_);

  tabs_ = new QTabWidget;
  timeline_ = new TimelineWidget(document_);
  events_ = new EventsView(document_);
  timeline_split_ = new QSplitter(Qt::Vertical);
  timeline_split_->addWidget(timeline_);
  timeline_split_->addWidget(events_);
  timeline_split_->setStretchFactor(0, 0);
  timeline_split_->setStretchFactor(1, 1);
  counters_ = new CountersView(document_);
  compare_ = new CompareView;
  run_panel_ = new RunPanel(document_);
  tabs_->addTab(run_panel_, tr("Run"));
  tabs_->addTab(timeline_split_, tr("Timeline and events"));
  tabs_->addTab(counters_, tr("Counters"));
  tabs_->addTab(compare_, tr("Compare modes"));
  code_ = new CodeView;
  memory_ = new MemoryView;
  tabs_->addTab(code_, tr("Code"));
  tabs_->addTab(memory_, tr("Memory"));
  screen_ = new ScreenView;
  tabs_->addTab(screen_, tr("Screen"));
  aligned_ = new AlignedView(document_);
  tabs_->addTab(aligned_, tr("Two runs aligned"));
  migration_ = new MigrationView(document_);
  tabs_->addTab(migration_, tr("Migration"));
  tabs_->setCurrentIndex(current);
  layout->addWidget(tabs_, 1);
  setCentralWidget(central);
  if (!compare_file_.isEmpty()) compare_->open_json(compare_file_);
  if (!sweep_dir_.isEmpty()) compare_->open_sweep(sweep_dir_);
  if (!aligned_path_.isEmpty()) aligned_->open_lower(aligned_path_);
  if (!aligned_upper_path_.isEmpty()) aligned_->open_upper(aligned_upper_path_);
  if (keep_view) timeline_->set_viewport(view);

  // One selection for the timeline, the event table and the aligned view's rows.
  timeline_->set_selection(selection_);
  events_->set_selection(selection_);
  aligned_->set_selection(selection_);
  connect(document_, &RunDocument::runReset, this, &MainWindow::update_status);
  connect(document_, &RunDocument::summaryChanged, this, &MainWindow::update_status);
  connect(run_panel_, &RunPanel::inspected, code_, &CodeView::show_snapshot);
  connect(run_panel_, &RunPanel::inspected, memory_, &MemoryView::show_snapshot);
  connect(run_panel_, &RunPanel::screen_taken, screen_, &ScreenView::show_screen);
  connect(screen_, &ScreenView::key_event, run_panel_, &RunPanel::send_key);
  connect(aligned_, &AlignedView::openLowerRequested, this, &MainWindow::choose_aligned_run);
  connect(aligned_, &AlignedView::openUpperRequested, this, &MainWindow::choose_aligned_upper_run);
  // Back to the window's run: a rebuilt window (another language) does not reopen the other.
  connect(aligned_, &AlignedView::usingWindowRun, this, [this] { aligned_upper_path_.clear(); });
  connect(compare_, &CompareView::cellActivated, this, &MainWindow::open_sweep_cell);
  connect(run_panel_, &RunPanel::message, this,
          [this](const QString& text, bool error) { show_banner(text, error); });
  build_menus();
  if (status_ == nullptr) {
    status_ = new QLabel;
    statusBar()->addWidget(status_, 1);
    progress_ = new QProgressBar;
    progress_->setRange(0, 100);
    progress_->setMaximumWidth(220);
    progress_->hide();
    cancel_ = new QPushButton;
    cancel_->hide();
    connect(cancel_, &QPushButton::clicked, this, &MainWindow::cancel_loading);
    statusBar()->addPermanentWidget(progress_);
    statusBar()->addPermanentWidget(cancel_);
  }
  cancel_->setText(tr("Cancel loading"));
  update_status();
}

void MainWindow::build_menus() {
  menuBar()->clear();
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&Open run directory..."), QKeySequence::Open, this,
                  &MainWindow::choose_run_directory);
  file->addAction(tr("Open &comparison (vmlab compare --format json)..."), this,
                  &MainWindow::choose_compare_file);
  file->addAction(tr("Open &sweep results (vmlab sweep --out DIR)..."), this,
                  &MainWindow::choose_sweep_dir);
  file->addAction(tr("Open &trace file (trace.json, trace.jsonl, or .gz)..."), this,
                  &MainWindow::choose_trace_file);
  file->addAction(tr("Open a second run to &align..."), this, &MainWindow::choose_aligned_run);
  file->addAction(tr("Open a run for the &upper aligned row..."), this,
                  &MainWindow::choose_aligned_upper_run);
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  view->addAction(tr("&Run"), this, [this] { show_view(View::run); });
  view->addAction(tr("&Timeline"), this, [this] { show_view(View::timeline); });
  view->addAction(tr("&Counters"), this, [this] { show_view(View::counters); });
  view->addAction(tr("C&ompare modes"), this, [this] { show_view(View::compare); });
  view->addAction(tr("Co&de"), this, [this] { show_view(View::code); });
  view->addAction(tr("&Memory"), this, [this] { show_view(View::memory); });
  view->addAction(tr("&Screen"), this, [this] { show_view(View::screen); });
  view->addAction(tr("Two runs &aligned"), this, [this] { show_view(View::aligned); });
  view->addAction(tr("Mi&gration"), this, [this] { show_view(View::migration); });
  view->addSeparator();
  view->addAction(tr("Show the &whole run"), this, [this] { timeline_->fit(); });

  QMenu* language = menuBar()->addMenu(tr("&Language"));
  auto* group = new QActionGroup(language);
  for (const auto& [code, name] : {std::pair{QStringLiteral("en"), QStringLiteral("English")},
                                   std::pair{QStringLiteral("sv"), QStringLiteral("Svenska")}}) {
    QAction* a = language->addAction(name);
    a->setCheckable(true);
    a->setChecked(code == language_);
    group->addAction(a);
    connect(a, &QAction::triggered, this, [this, code = code] { set_language(code); });
  }
}

void MainWindow::set_language(const QString& language) {
  if (language == language_) return;
  QCoreApplication::removeTranslator(&translator_);
  if (language != QStringLiteral("en")) {
    if (translator_.load(QStringLiteral(":/i18n/vmlab_gui_%1.qm").arg(language))) {
      QCoreApplication::installTranslator(&translator_);
    } else {
      show_banner(tr("No translation for language \"%1\".").arg(language), true);
      return;
    }
  }
  language_ = language;
  build_ui();  // every view anew, its strings through the new translator
}

bool MainWindow::open_run(const QString& path) {
  if (is_sweep_dir(path)) return open_sweep(path);
  auto run = load_run(path);
  if (!run) {
    show_banner(tr("Could not open %1: %2").arg(path, QString::fromStdString(run.error().message)),
                true);
    return false;
  }
  show_loaded(std::move(run.value()));
  return true;
}

void MainWindow::show_loaded(LoadedRun r) {
  const QStringList warnings = r.warnings;
  document_->reset(std::move(r.summary), std::move(r.events), warnings);
  // A run from a directory has no machine: no screen to show (docs/gui.md, "Screen").
  screen_->show_no_live_run();
  if (warnings.isEmpty()) {
    banner_->hide();
  } else {
    show_banner(warnings.join(QLatin1Char('\n')), false);
  }
  show_view(View::timeline);
}

void MainWindow::open_run_in_background(const QString& path) {
  if (is_sweep_dir(path)) {
    open_sweep(path);  // a few small files: no worker needed
    return;
  }
  loading_.reset();  // cancels and waits for a load going on
  loading_ = std::make_unique<TraceLoadJob>(path);
  connect(loading_.get(), &TraceLoadJob::progressed, progress_, &QProgressBar::setValue);
  connect(loading_.get(), &TraceLoadJob::finished, this, &MainWindow::loading_finished);
  progress_->setValue(0);
  progress_->show();
  cancel_->show();
  show_banner(tr("Loading %1 ...").arg(path), false);
  loading_->start();
}

void MainWindow::cancel_loading() {
  if (loading_ != nullptr) loading_->cancel();
}

void MainWindow::loading_finished() {
  progress_->hide();
  cancel_->hide();
  auto result = std::move(*loading_->result());
  const QString path = loading_->path();
  // The job is done with: delete it after this slot (it emitted the signal).
  loading_.release()->deleteLater();
  if (result) {
    show_loaded(std::move(result.value()));
  } else if (result.error().code == kLoadCancelled) {
    show_banner(tr("Loading %1 was cancelled; the run shown before stays open.").arg(path), false);
  } else {
    show_banner(
        tr("Could not open %1: %2").arg(path, QString::fromStdString(result.error().message)),
        true);
  }
}

bool MainWindow::open_aligned(const QString& path) {
  QString why;
  if (!aligned_->open_lower(path, &why)) {
    show_banner(tr("Could not open %1: %2").arg(path, why), true);
    return false;
  }
  aligned_path_ = path;
  show_view(View::aligned);
  return true;
}

bool MainWindow::open_aligned_upper(const QString& path) {
  QString why;
  if (!aligned_->open_upper(path, &why)) {
    show_banner(tr("Could not open %1: %2").arg(path, why), true);
    return false;
  }
  aligned_upper_path_ = path;
  show_view(View::aligned);
  return true;
}

bool MainWindow::open_compare(const QString& file) {
  QString why;
  if (!compare_->open_json(file, &why)) {
    show_banner(tr("Could not open %1: %2").arg(file, why), true);
    return false;
  }
  compare_file_ = file;
  sweep_dir_.clear();
  show_view(View::compare);
  return true;
}

bool MainWindow::open_sweep(const QString& dir) {
  QString why;
  if (!compare_->open_sweep(dir, &why)) {
    show_banner(tr("Could not open %1: %2").arg(dir, why), true);
    return false;
  }
  sweep_dir_ = dir;
  compare_file_.clear();
  const QStringList warnings = compare_->sweep()->warnings;
  if (warnings.isEmpty()) {
    banner_->hide();
  } else {
    show_banner(warnings.join(QLatin1Char('\n')), false);
  }
  show_view(View::compare);
  return true;
}

void MainWindow::open_sweep_cell(const QString& name) {
  const SweepData* sweep = compare_->sweep();
  if (sweep == nullptr) return;
  const SweepCell* cell = nullptr;
  for (const SweepCell& c : sweep->cells) {
    if (c.name == name) cell = &c;
  }
  if (cell == nullptr) return;
  const QString dir = cell_run_dir(*sweep, *cell);
  if (QFileInfo(dir + QStringLiteral("/config.json")).isFile()) {
    open_run_in_background(dir);
    return;
  }
  if (cell_run_ != nullptr && cell_run_->cell() == name) return;  // being recorded already
  // Recorded once, in a vmlab child process; the window stays usable meanwhile. Another
  // cell being recorded is given up first (its folder then holds no config.json).
  cell_run_.reset();
  cell_run_ = std::make_unique<CellRun>(*sweep, *cell);
  connect(cell_run_.get(), &CellRun::finished, this, &MainWindow::cell_run_finished);
  show_banner(tr("Recording the run of cell %1 (vmlab run --out %2 --trace: %3 iterations of "
                 "%4 under %5) ...")
                  .arg(cell->name, dir)
                  .arg(cell->iters)
                  .arg(cell->workload_label(), cell->mode),
              false);
}

void MainWindow::cell_run_finished(bool ok, const QString& error) {
  if (cell_run_ == nullptr) return;
  const QString dir = cell_run_->out();
  const QString name = cell_run_->cell();
  cell_run_.release()->deleteLater();  // it emitted the signal
  if (!ok) {
    show_banner(tr("Could not record the run of cell %1: %2").arg(name, error), true);
    return;
  }
  open_run_in_background(dir);
}

void MainWindow::show_view(View view) {
  switch (view) {
    case View::run: tabs_->setCurrentWidget(run_panel_); break;
    case View::timeline:
      tabs_->setCurrentWidget(timeline_split_);
      timeline_split_->setSizes({TimelineRenderer::preferred_height(), height()});
      break;
    case View::events:
      tabs_->setCurrentWidget(timeline_split_);
      timeline_split_->setSizes({TimelineRenderer::preferred_height() / 2, height()});
      break;
    case View::counters: tabs_->setCurrentWidget(counters_); break;
    case View::compare: tabs_->setCurrentWidget(compare_); break;
    case View::code: tabs_->setCurrentWidget(code_); break;
    case View::memory: tabs_->setCurrentWidget(memory_); break;
    case View::aligned: tabs_->setCurrentWidget(aligned_); break;
    case View::migration: tabs_->setCurrentWidget(migration_); break;
    case View::screen: tabs_->setCurrentWidget(screen_); break;
  }
}

void MainWindow::select_event(size_t event) {
  selection_->select(document_, event);
}

QWidget* MainWindow::view_widget(View view) {
  switch (view) {
    case View::events: return events_;
    case View::counters: return counters_;
    case View::compare: return compare_;
    case View::run: return run_panel_;
    case View::code: return code_;
    case View::memory: return memory_;
    case View::aligned: return aligned_;
    case View::migration: return migration_;
    case View::screen: return screen_;
    case View::timeline: return this;
  }
  return this;
}

QString MainWindow::banner_text() const {
  return banner_->isHidden() ? QString() : banner_->text();
}

void MainWindow::show_banner(const QString& text, bool error) {
  banner_->setText(text);
  banner_->setStyleSheet(error
                             ? QStringLiteral("background:#fde2e1; color:#8a1111; font-weight:bold")
                             : QStringLiteral("background:#fff6d5; color:#5a4500"));
  banner_->show();
}

void MainWindow::update_status() {
  const RunSummary& s = document_->summary();
  if (s.variant.isEmpty()) {
    status_->setText(tr("No run open: File > Open run directory, or the Run tab."));
    return;
  }
  const QLocale locale;
  auto number = [&locale](uint64_t n) { return locale.toString(static_cast<qulonglong>(n)); };
  const QString events =
      s.have_counters ? tr("%1 events since boot, %2 on the timeline")
                            .arg(number(s.events_since_boot()), number(document_->events().size()))
                      : tr("%1 events on the timeline").arg(number(document_->events().size()));
  status_->setText(
      tr("%1 | %2 | profile %3 | %4 | %5 instructions retired on the processor | %6 modeled "
         "cycles")
          .arg(s.source, s.variant, s.profile, events, number(s.instructions), number(s.cycles)));
}

void MainWindow::choose_run_directory() {
  // A non-modal dialog: no nested event loop (a later browser build stays possible).
  auto* dialog =
      new QFileDialog(this, tr("Open a vmlab run directory (vmlab run --out DIR --trace)"));
  dialog->setFileMode(QFileDialog::Directory);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  connect(dialog, &QFileDialog::fileSelected, this,
          [this](const QString& dir) { open_run_in_background(dir); });
  dialog->open();
}

void MainWindow::choose_aligned_run() {
  auto* dialog = new QFileDialog(
      this,
      tr("Open a second run directory to align below the first (vmlab run --out DIR --trace)"));
  dialog->setFileMode(QFileDialog::Directory);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  connect(dialog, &QFileDialog::fileSelected, this,
          [this](const QString& dir) { open_aligned(dir); });
  dialog->open();
}

void MainWindow::choose_aligned_upper_run() {
  auto* dialog = new QFileDialog(
      this, tr("Open a run directory for the upper row of the aligned view (vmlab run --out DIR "
               "--trace)"));
  dialog->setFileMode(QFileDialog::Directory);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  connect(dialog, &QFileDialog::fileSelected, this,
          [this](const QString& dir) { open_aligned_upper(dir); });
  dialog->open();
}

void MainWindow::choose_trace_file() {
  auto* dialog = new QFileDialog(this, tr("Open a trace vmlab wrote (trace.json, trace.jsonl, or "
                                          "gzip: trace.json.gz, trace.jsonl.gz)"));
  dialog->setFileMode(QFileDialog::ExistingFile);
  dialog->setNameFilter(tr("vmlab traces (*.json *.jsonl *.json.gz *.jsonl.gz)"));
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  connect(dialog, &QFileDialog::fileSelected, this,
          [this](const QString& f) { open_run_in_background(f); });
  dialog->open();
}

void MainWindow::choose_sweep_dir() {
  auto* dialog =
      new QFileDialog(this, tr("Open the folder of a vmlab sweep (vmlab sweep --out DIR)"));
  dialog->setFileMode(QFileDialog::Directory);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  connect(dialog, &QFileDialog::fileSelected, this,
          [this](const QString& dir) { open_sweep(dir); });
  dialog->open();
}

void MainWindow::choose_compare_file() {
  auto* dialog = new QFileDialog(this, tr("Open vmlab compare --format json output"));
  dialog->setFileMode(QFileDialog::ExistingFile);
  dialog->setNameFilter(tr("JSON (*.json)"));
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  connect(dialog, &QFileDialog::fileSelected, this, [this](const QString& f) { open_compare(f); });
  dialog->open();
}

}  // namespace vmlab::gui
