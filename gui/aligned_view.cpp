#include "gui/aligned_view.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

#include "gui/event_decoder.h"
#include "gui/event_selection.h"
#include "gui/run_loader.h"
#include "gui/timeline_widget.h"

namespace vmlab::gui {

QString describe_run(const RunSummary& s, size_t events) {
  if (s.variant.isEmpty()) return AlignedView::tr("no run");
  const QLocale locale;
  return AlignedView::tr(
             "<b>%1</b> · profile %2 · %3 instructions retired on the processor · %4 "
             "modeled cycles · %5 events on the timeline · <span style='color:#555'>%6</span>")
      .arg(s.variant.toHtmlEscaped(), s.profile.toHtmlEscaped(),
           locale.toString(static_cast<qulonglong>(s.instructions)),
           locale.toString(static_cast<qulonglong>(s.cycles)),
           locale.toString(static_cast<qulonglong>(events)), s.source.toHtmlEscaped());
}

AlignedView::AlignedView(const RunDocument* window_run, QWidget* parent)
    : QWidget(parent),
      window_run_(window_run),
      upper_own_(new RunDocument(this)),
      upper_(window_run),
      lower_(new RunDocument(this)) {
  upper_label_ = new QLabel;
  lower_label_ = new QLabel;
  for (QLabel* l : {upper_label_, lower_label_}) {
    l->setTextFormat(Qt::RichText);
    l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    l->setContentsMargins(6, 4, 6, 2);
    l->setWordWrap(true);  // the run's figures wrap rather than push the buttons away
  }
  upper_timeline_ = new TimelineWidget(upper_);
  lower_timeline_ = new TimelineWidget(lower_);
  for (TimelineWidget* t : {upper_timeline_, lower_timeline_}) {
    t->setMinimumHeight(TimelineRenderer::preferred_height());
  }
  auto* open_upper = new QPushButton(tr("Open a run..."));
  open_upper->setToolTip(tr("Show another run directory in the upper row"));
  connect(open_upper, &QPushButton::clicked, this, [this] { Q_EMIT openUpperRequested(); });
  use_window_ = new QPushButton(tr("Use the window's run"));
  use_window_->setToolTip(tr("Show the run of the other tabs (opened or live) in the upper row"));
  connect(use_window_, &QPushButton::clicked, this, &AlignedView::use_window_run);
  auto* open_lower = new QPushButton(tr("Open a second run..."));
  open_lower->setToolTip(tr("Show another run directory in the lower row"));
  connect(open_lower, &QPushButton::clicked, this, [this] { Q_EMIT openLowerRequested(); });

  auto* upper_header = new QHBoxLayout;
  upper_header->addWidget(upper_label_, 1);
  upper_header->addWidget(use_window_);
  upper_header->addWidget(open_upper);
  selected_label_ = new QLabel;
  selected_label_->setTextFormat(Qt::PlainText);
  selected_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  selected_label_->setContentsMargins(6, 4, 6, 4);
  selected_label_->setStyleSheet(QStringLiteral("background:#fff4d6"));
  selected_label_->setWordWrap(true);
  auto* lower_header = new QHBoxLayout;
  lower_header->addWidget(lower_label_, 1);
  lower_header->addWidget(open_lower);
  auto* inner = new QWidget;
  auto* column = new QVBoxLayout(inner);
  column->setContentsMargins(0, 0, 0, 0);
  column->setSpacing(0);
  column->addWidget(selected_label_);  // first: in sight whatever the rows' height
  column->addLayout(upper_header);
  column->addWidget(upper_timeline_);
  column->addLayout(lower_header);
  column->addWidget(lower_timeline_);
  column->addStretch(1);
  auto* scroll = new QScrollArea;
  scroll->setWidget(inner);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(scroll);

  connect(upper_timeline_, &TimelineWidget::viewportChanged, this,
          [this] { follow(upper_timeline_, lower_timeline_); });
  connect(lower_timeline_, &TimelineWidget::viewportChanged, this,
          [this] { follow(lower_timeline_, upper_timeline_); });
  connect(lower_, &RunDocument::runReset, this, &AlignedView::refit);
  // Both possible upper runs are watched; only the one shown moves the view.
  for (const RunDocument* d : {window_run_, static_cast<const RunDocument*>(upper_own_)}) {
    connect(d, &RunDocument::runReset, this, [this, d] {
      if (d == upper_) refit();
    });
    connect(d, &RunDocument::summaryChanged, this, [this, d] {
      if (d == upper_) refresh();
    });
    // A live upper run grows: the lower timeline keeps showing the upper one's span.
    connect(d, &RunDocument::eventsAppended, this, [this, d] {
      if (d != upper_) return;
      refresh();
      follow(upper_timeline_, lower_timeline_);
    });
  }
  refit();
}

namespace {

bool load_into(RunDocument* document, const QString& path, QString* why) {
  auto run = load_run(path);
  if (!run) {
    if (why != nullptr) *why = QString::fromStdString(run.error().message);
    return false;
  }
  document->reset(std::move(run.value().summary), std::move(run.value().events),
                  run.value().warnings);
  return true;
}

}  // namespace

bool AlignedView::open_lower(const QString& path, QString* why) {
  return load_into(lower_, path, why);
}

bool AlignedView::open_upper(const QString& path, QString* why) {
  if (!load_into(upper_own_, path, why)) return false;
  show_upper(upper_own_);
  return true;
}

void AlignedView::use_window_run() {
  show_upper(window_run_);
  Q_EMIT usingWindowRun();
}

void AlignedView::show_upper(const RunDocument* document) {
  upper_ = document;
  upper_timeline_->set_document(document);
  refit();
  show_selected();
}

void AlignedView::set_selection(EventSelection* selection) {
  if (selection_ != nullptr) disconnect(selection_, nullptr, this, nullptr);
  selection_ = selection;
  upper_timeline_->set_selection(selection);
  lower_timeline_->set_selection(selection);
  if (selection_ != nullptr) {
    connect(selection_, &EventSelection::changed, this, &AlignedView::show_selected);
  }
  show_selected();
}

QString AlignedView::selected_text() const {
  return selected_label_->text();
}

void AlignedView::show_selected() {
  if (selection_ == nullptr) return;
  // The upper row first: the same run may be in both rows only as the window's run above.
  const RunDocument* run = nullptr;
  QString row;
  if (selection_->event_in(upper_)) {
    run = upper_;
    row = upper_is_window_run() ? tr("upper run (the window's; selected in the event table too)")
                                : tr("upper run");
  } else if (selection_->event_in(lower_)) {
    run = lower_;
    row = tr("lower run");
  }
  if (run == nullptr) {
    selected_label_->setText(tr("Click an event on either timeline to select it."));
    return;
  }
  const size_t index = *selection_->event();
  selected_label_->setText(
      tr("Selected in the %1: %2")
          .arg(row, describe_event(run->events().event(index), run->summary().decode)));
}

void AlignedView::follow(TimelineWidget* from, TimelineWidget* to) {
  if (syncing_) return;
  syncing_ = true;
  to->set_viewport(from->viewport());
  syncing_ = false;
}

void AlignedView::refresh() {
  const QString upper = describe_run(upper_->summary(), upper_->events().size());
  upper_label_->setText(upper_is_window_run() ? tr("Upper (the window's run): %1").arg(upper)
                                              : tr("Upper: %1").arg(upper));
  use_window_->setEnabled(!upper_is_window_run());
  if (lower_->summary().variant.isEmpty()) {
    lower_label_->setText(
        tr("Lower: no run yet. Open a second run directory (vmlab run --out DIR --trace) to "
           "compare it with the upper one on the same modeled-time axis."));
  } else {
    QString ratio;
    if (upper_->summary().cycles != 0) {
      ratio = tr(" · %1× the upper run's modeled cycles")
                  .arg(QLocale().toString(static_cast<double>(lower_->summary().cycles) /
                                              static_cast<double>(upper_->summary().cycles),
                                          'f', 2));
    }
    lower_label_->setText(
        tr("Lower: %1").arg(describe_run(lower_->summary(), lower_->events().size())) + ratio);
  }
  upper_timeline_->set_fit_end(lower_->events().end_cycle());
  lower_timeline_->set_fit_end(upper_->events().end_cycle());
}

void AlignedView::refit() {
  refresh();
  // Both fit the longer run; both show the same span.
  syncing_ = true;
  upper_timeline_->fit();
  lower_timeline_->set_viewport(upper_timeline_->viewport());
  syncing_ = false;
}

}  // namespace vmlab::gui
