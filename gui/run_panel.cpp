#include "gui/run_panel.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStringList>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include "frontend/workloads.h"
#include "gui/counter_model.h"
#include "gui/event_decoder.h"
#include "gui/kernel_image.h"
#include "gui/resources.h"

namespace vmlab::gui {

RunPanel::RunPanel(RunDocument* document, QWidget* parent)
    : QWidget(parent), document_(document), timer_(new QTimer(this)) {
  kernel_ = new QLineEdit(default_guest_kernel());
  workload_ = new QComboBox;
  workload_->addItem(tr("(boot only: the shell)"), QString());
  // The guest's workloads (docs/guest.md, "Workloads"), as `run=NAME` on its command line.
  for (const frontend::Workload& w : frontend::kWorkloads) {
    const QString name = QString::fromUtf8(w.name.data(), static_cast<qsizetype>(w.name.size()));
    workload_->addItem(name, name);
  }
  workload_->setCurrentIndex(1);
  args_ = new QLineEdit(QStringLiteral("iters=100"));
  args_->setToolTip(tr("more of the kernel command line, e.g. iters=1000"));
  mode_ = new QComboBox;
  for (ModeVariant v : kAllVariants) mode_->addItem(variant_label(v), static_cast<int>(v));
  profile_ = new QComboBox;
  profile_->addItems(profile_names());
  profile_->setCurrentText(QStringLiteral("native-1c"));
  input_ = new QLineEdit;
  input_->setPlaceholderText(tr("text for the guest's COM1, sent at boot (\\n for Enter)"));
  break_kind_ = new QComboBox;
  for (vmm::EventKind k :
       {vmm::EventKind::hypercall, vmm::EventKind::trap, vmm::EventKind::hidden_fault,
        vmm::EventKind::true_fault, vmm::EventKind::guest_pt_write, vmm::EventKind::bt_callout,
        vmm::EventKind::bt_translate, vmm::EventKind::port_io, vmm::EventKind::cr3_switch}) {
    break_kind_->addItem(kind_name(k), static_cast<int>(k));
  }

  auto* form = new QFormLayout;
  auto* browse = new QPushButton(tr("Browse..."));
  browse->setToolTip(tr("Choose another kernel image (an ELF file with a Multiboot header)"));
  connect(browse, &QPushButton::clicked, this, &RunPanel::choose_kernel);
  auto* kernel_row = new QHBoxLayout;
  kernel_row->addWidget(kernel_, 1);
  kernel_row->addWidget(browse);
  form->addRow(tr("Kernel:"), kernel_row);
  auto* wl = new QHBoxLayout;
  wl->addWidget(workload_);
  wl->addWidget(args_, 1);
  form->addRow(tr("Workload:"), wl);
  form->addRow(tr("Mode:"), mode_);
  form->addRow(tr("Cost profile:"), profile_);
  form->addRow(tr("Console input:"), input_);

  run_button_ = new QPushButton(tr("Run"));
  pause_button_ = new QPushButton(tr("Pause"));
  step_button_ = new QPushButton(tr("Step"));
  step_button_->setToolTip(tr("one guest instruction"));
  next_button_ = new QPushButton(tr("Run to next:"));
  stop_button_ = new QPushButton(tr("Stop"));
  restart_button_ = new QPushButton(tr("Restart"));
  auto* buttons = new QHBoxLayout;
  for (QPushButton* b : {run_button_, pause_button_, step_button_}) buttons->addWidget(b);
  buttons->addWidget(next_button_);
  buttons->addWidget(break_kind_);
  buttons->addWidget(stop_button_);
  buttons->addWidget(restart_button_);
  buttons->addStretch(1);
  state_ = new QLabel(tr("Not started."));
  state_->setWordWrap(true);
  state_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  state_->setToolTip(
      tr("Guest instructions run by Step: one per Step press (an instruction the monitor "
         "emulates, or bt's translation of one guest instruction, is one).\n"
         "Instructions retired on the processor: what the simulated CPU executed, as "
         "stats.json's \"instructions\"; under bt the translated code's instructions, under "
         "trap without the instructions the monitor emulates.\n"
         "Events since boot: as the counter table's total; the timeline and the event "
         "table begin after the kernel load."));

  console_ = new QPlainTextEdit;
  console_->setReadOnly(true);
  console_->setMaximumBlockCount(5000);
  // A terminal wraps a long line at the pane's edge, anywhere in it (a result line has no
  // spaces in `cycles_per_iter=337.3`): nothing is clipped at the right.
  console_->setLineWrapMode(QPlainTextEdit::WidgetWidth);
  console_->setWordWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
  // A margin on both sides: a line that fills the pane does not look cut at its edge.
  console_->document()->setDocumentMargin(8);
  QFont mono(QStringLiteral("DejaVu Sans Mono"));
  mono.setStyleHint(QFont::Monospace);
  console_->setFont(mono);
  console_->setStyleSheet(QStringLiteral("background:#101418; color:#d8e0e8"));
  console_->setPlaceholderText(
      tr("The guest's console (COM1) appears here. Click into it and type to send keys to "
         "the running guest."));
  console_->setFocusPolicy(Qt::StrongFocus);
  console_->installEventFilter(this);

  counters_ = new CounterModel(document_, this);
  counter_table_ = new QTableView;
  counter_table_->setModel(counters_);
  counter_table_->verticalHeader()->setVisible(false);
  counter_table_->verticalHeader()->setDefaultSectionSize(20);
  counter_table_->horizontalHeader()->setStretchLastSection(true);
  counter_table_->setColumnWidth(CounterModel::kKind, 165);
  counter_table_->setColumnWidth(CounterModel::kClass, 145);
  counter_table_->setColumnWidth(CounterModel::kCount, 80);
  counter_table_->setColumnWidth(CounterModel::kCycles, 100);

  auto* split = new QSplitter(Qt::Horizontal);
  split->addWidget(console_);
  split->addWidget(counter_table_);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 4);  // the counters' five columns need the room more
  split->setSizes({3000, 4000});

  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addLayout(buttons);
  layout->addWidget(state_);
  layout->addWidget(split, 1);

  connect(run_button_, &QPushButton::clicked, this, &RunPanel::resume);
  connect(pause_button_, &QPushButton::clicked, this, &RunPanel::pause);
  connect(step_button_, &QPushButton::clicked, this, &RunPanel::step);
  connect(next_button_, &QPushButton::clicked, this, &RunPanel::run_to_next);
  connect(stop_button_, &QPushButton::clicked, this, &RunPanel::stop);
  connect(restart_button_, &QPushButton::clicked, this, &RunPanel::restart);
  timer_->setInterval(40);  // 25 times a second
  connect(timer_, &QTimer::timeout, this, &RunPanel::poll);
  update_buttons();
}

RunPanel::~RunPanel() {
  stop_and_wait();
}

void RunPanel::set_options(const LiveRunOptions& o) {
  kernel_->setText(o.kernel);
  QString rest = o.append;
  const QString prefix = QStringLiteral("run=");
  workload_->setCurrentIndex(0);
  if (rest.startsWith(prefix)) {
    const qsizetype space = rest.indexOf(QLatin1Char(' '));
    const QString name = rest.mid(prefix.size(), space < 0 ? -1 : space - prefix.size());
    const int i = workload_->findData(name);
    if (i >= 0) {
      workload_->setCurrentIndex(i);
      rest = space < 0 ? QString() : rest.mid(space + 1);
    }
  }
  args_->setText(rest);
  mode_->setCurrentIndex(mode_->findData(static_cast<int>(o.mode)));
  profile_->setCurrentText(o.profile);
  input_->setText(QString(o.input).replace(QLatin1Char('\n'), QStringLiteral("\\n")));
  cpu_mhz_ = o.cpu_mhz;
}

LiveRunOptions RunPanel::options() const {
  LiveRunOptions o;
  o.kernel = kernel_->text().trimmed();
  const QString w = workload_->currentData().toString();
  o.append = (w.isEmpty() ? QString() : QStringLiteral("run=") + w);
  if (!args_->text().trimmed().isEmpty()) {
    o.append += (o.append.isEmpty() ? QString() : QStringLiteral(" ")) + args_->text().trimmed();
  }
  o.mode = static_cast<ModeVariant>(mode_->currentData().toInt());
  o.profile = profile_->currentText();
  o.input = input_->text().replace(QStringLiteral("\\n"), QStringLiteral("\n"));
  o.cpu_mhz = cpu_mhz_;
  return o;
}

bool RunPanel::start() {
  stop_and_wait();
  const LiveRunOptions o = options();
  auto run = std::make_unique<LiveRun>();
  QString error;
  if (!run->start(o, error)) {
    Q_EMIT message(tr("Could not start the guest: %1").arg(error), true);
    state_->setText(tr("Not started: %1").arg(error));
    return false;
  }
  run_ = std::move(run);
  summary_ = RunSummary{};
  summary_.source = tr("live");
  summary_.mode = variant_label(o.mode);
  summary_.variant = variant_label(o.mode);
  summary_.profile = o.profile;
  summary_.kernel = o.kernel;
  if (auto image = KernelImage::load(o.kernel, {}); image) {
    summary_.image = std::make_shared<const KernelImage>(std::move(image.value()));
  } else {
    summary_.image_note = QString::fromStdString(image.error().message);
  }
  summary_.cpu_mhz = o.cpu_mhz;
  summary_.decode.vt_exits = o.mode == ModeVariant::trap_vt || o.mode == ModeVariant::trap_npt;
  summary_.have_counters = true;
  for (unsigned k = 0; k < vmm::kNumEventKinds; ++k) {
    summary_.count[k] = run_->initial_counters().count[k];
    summary_.charged[k] = run_->initial_counters().cycles[k];
    summary_.event_cycles += summary_.charged[k];
  }
  status_ = LiveStatus{};
  console_->clear();
  document_->reset(summary_, EventStore{});
  timer_->start();
  update_buttons();
  return true;
}

void RunPanel::resume() {
  if (run_ == nullptr || status_.state == vmm::VmState::kStopped) {
    if (!start()) return;
  }
  run_->resume();
  status_.state = vmm::VmState::kRunning;
  update_buttons();
}

void RunPanel::run_for(uint64_t instructions) {
  if (run_ == nullptr && !start()) return;
  run_->run_for(instructions);
  update_buttons();
}

void RunPanel::pause() {
  if (run_ != nullptr) run_->pause();
}

void RunPanel::step() {
  if (run_ == nullptr && !start()) return;
  run_->step(1);
  update_buttons();
}

void RunPanel::run_to_next() {
  if (run_ == nullptr && !start()) return;
  run_->run_to_next(static_cast<vmm::EventKind>(break_kind_->currentData().toInt()));
  status_.state = vmm::VmState::kRunning;
  update_buttons();
}

void RunPanel::stop() {
  if (run_ != nullptr) run_->stop();
}

void RunPanel::restart() {
  if (start()) resume();
}

void RunPanel::stop_and_wait() {
  if (run_ == nullptr) return;
  timer_->stop();
  run_.reset();  // requests stop and pause, joins the worker
  update_buttons();
}

void RunPanel::poll() {
  if (run_ == nullptr) return;
  std::vector<vmm::Event> events;
  std::string console;
  const bool was_busy = run_->busy();
  const auto previous = status_.inspection;
  const auto previous_screen = status_.screen;
  status_ = run_->take(events, console);
  if (status_.inspection && status_.inspection != previous) Q_EMIT inspected(status_.inspection);
  if (status_.screen && status_.screen != previous_screen) Q_EMIT screen_taken(status_.screen);
  if (!events.empty()) {
    for (const vmm::Event& e : events) {
      const unsigned k = vmm::index_of(e.kind);
      ++summary_.count[k];
      summary_.charged[k] += e.charged;
      summary_.event_cycles += e.charged;
    }
    document_->append(events);
  }
  summary_.cycles = std::max(status_.cycles, document_->events().end_cycle());
  summary_.instructions = status_.instructions;
  summary_.stop = status_.stop;
  // bt: the event table's translated code, from the cache as the worker last left it.
  if (status_.translations != nullptr) {
    summary_.translations = status_.translations;
    summary_.translations_note.clear();
  } else if (summary_.variant == variant_label(ModeVariant::bt)) {
    summary_.translations_note = tr("shown when the run pauses or stops");
  }
  document_->update_summary(summary_);
  if (!console.empty()) {
    console_->moveCursor(QTextCursor::End);
    console_->insertPlainText(
        QString::fromLatin1(console.data(), static_cast<qsizetype>(console.size())));
    console_->moveCursor(QTextCursor::End);
  }
  if (!was_busy && status_.state == vmm::VmState::kStopped) timer_->stop();
  update_buttons();
}

QByteArray RunPanel::key_bytes(const QKeyEvent& key) {
  if (key.matches(QKeySequence::Copy) || key.matches(QKeySequence::SelectAll)) return {};
  switch (key.key()) {
    case Qt::Key_Return:
    case Qt::Key_Enter: return QByteArrayLiteral("\r");
    case Qt::Key_Backspace: return QByteArrayLiteral("\x7f");
    default: break;
  }
  // Printable text and control characters (Ctrl+letter); nothing beyond Latin-1, which the
  // guest's 8-bit line cannot carry.
  QByteArray bytes;
  for (const QChar c : key.text()) {
    if (c.unicode() > 0xFF) return {};
    bytes.push_back(static_cast<char>(c.unicode()));
  }
  return bytes;
}

void RunPanel::send_key(uint16_t key, bool release) {
  if (run_ != nullptr && status_.state != vmm::VmState::kStopped) run_->send_key(key, release);
}

bool RunPanel::eventFilter(QObject* watched, QEvent* event) {
  if (watched == console_ && event->type() == QEvent::KeyPress && run_ != nullptr &&
      status_.state != vmm::VmState::kStopped) {
    const QByteArray bytes = key_bytes(*static_cast<QKeyEvent*>(event));
    if (!bytes.isEmpty()) {
      run_->send_input(std::string_view(bytes.constData(), static_cast<size_t>(bytes.size())));
      return true;
    }
  }
  return QWidget::eventFilter(watched, event);
}

void RunPanel::choose_kernel() {
  // A non-modal dialog: no nested event loop (as the window's File menu).
  auto* dialog = new QFileDialog(this, tr("Choose a kernel image"),
                                 QFileInfo(kernel_->text().trimmed()).absolutePath());
  dialog->setFileMode(QFileDialog::ExistingFile);
  dialog->setNameFilter(tr("ELF kernels (*.elf);;All files (*)"));
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  connect(dialog, &QFileDialog::fileSelected, this,
          [this](const QString& file) { kernel_->setText(file); });
  dialog->open();
}

QString RunPanel::state_text() const {
  return state_->text();
}

QString RunPanel::console_text() const {
  return console_->toPlainText();
}

void RunPanel::update_buttons() {
  const bool live = run_ != nullptr;
  const bool running = live && (run_->busy() || status_.state == vmm::VmState::kRunning);
  const bool stopped = live && !running && status_.state == vmm::VmState::kStopped;
  run_button_->setText(live && !stopped ? tr("Resume") : tr("Run"));
  run_button_->setEnabled(!running);
  pause_button_->setEnabled(running);
  step_button_->setEnabled(!running && !stopped);
  next_button_->setEnabled(!running && !stopped);
  stop_button_->setEnabled(live && !stopped);
  restart_button_->setEnabled(live);
  const QLocale locale;
  auto number = [&locale](uint64_t n) { return locale.toString(static_cast<qulonglong>(n)); };
  QString text;
  if (!live) {
    text = tr("Not started.");
  } else if (running) {
    text = tr("Running... events since boot: %1").arg(number(summary_.events_since_boot()));
  } else {
    // Each figure says what it counts: the processor's instructions are not the guest's
    // under bt (translated code) nor under trap (emulated instructions do not retire).
    QStringList parts;
    parts << (stopped ? tr("Stopped at guest EIP 0x%1") : tr("Paused at guest EIP 0x%1"))
                 .arg(status_.guest_eip, 8, 16, QLatin1Char('0'));
    if (status_.guest_steps != 0) {
      parts << tr("guest instructions run by Step: %1").arg(number(status_.guest_steps));
    }
    parts << tr("instructions retired on the processor: %1").arg(number(status_.instructions));
    parts << tr("modeled cycles: %1").arg(number(status_.cycles));
    parts << tr("events since boot: %1").arg(number(summary_.events_since_boot()));
    text = parts.join(QStringLiteral(" · "));
    if (stopped && !status_.stop.isEmpty()) text += QStringLiteral(" — ") + status_.stop;
  }
  state_->setText(text);
}

}  // namespace vmlab::gui
