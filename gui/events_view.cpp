#include "gui/events_view.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include "gui/bt_translations.h"
#include "gui/event_decoder.h"
#include "gui/event_selection.h"
#include "gui/kernel_image.h"
#include "gui/lanes.h"

namespace vmlab::gui {

namespace {
bool parse_address(const QString& text, uint32_t& out) {
  const QString t = text.trimmed();
  if (t.isEmpty()) return false;
  bool ok = false;
  const qulonglong v = t.startsWith(QStringLiteral("0x"), Qt::CaseInsensitive)
                           ? t.mid(2).toULongLong(&ok, 16)
                           : t.toULongLong(&ok, 16);
  if (!ok || v > 0xFFFFFFFFull) return false;
  out = static_cast<uint32_t>(v);
  return true;
}
}  // namespace

EventsView::EventsView(const RunDocument* document, QWidget* parent)
    : QWidget(parent),
      document_(document),
      model_(new EventTableModel(document, this)),
      filter_(new EventFilterModel(this)) {
  filter_->setSourceModel(model_);

  auto* bar = new QHBoxLayout;
  kind_ = new QComboBox;
  cpl_ = new QComboBox;
  cpl_->addItem(tr("any CPL"), -1);
  for (int c = 0; c < 4; ++c) cpl_->addItem(tr("CPL %1").arg(c), c);
  eip_from_ = new QLineEdit;
  eip_to_ = new QLineEdit;
  eip_from_->setPlaceholderText(tr("EIP from (hex)"));
  eip_to_->setPlaceholderText(tr("EIP to (hex)"));
  text_ = new QLineEdit;
  text_->setPlaceholderText(tr("search payload, e.g. mmu_update or COM1"));
  text_->setClearButtonEnabled(true);
  shown_ = new QLabel;
  bar->addWidget(new QLabel(tr("Kind:")));
  bar->addWidget(kind_);
  bar->addWidget(cpl_);
  bar->addWidget(eip_from_);
  bar->addWidget(eip_to_);
  bar->addWidget(text_, 1);
  bar->addWidget(shown_);

  table_ = new QTableView;
  table_->setModel(filter_);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->verticalHeader()->setVisible(false);
  table_->verticalHeader()->setDefaultSectionSize(20);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->setAlternatingRowColors(true);
  table_->setWordWrap(false);
  const int widths[] = {70, 110, 150, 40, 95, 70};
  for (int c = 0; c < 6; ++c) table_->setColumnWidth(c, widths[c]);

  details_ = new QPlainTextEdit;
  details_->setReadOnly(true);
  details_->setMaximumBlockCount(2000);
  QFont mono(QStringLiteral("DejaVu Sans Mono"));
  mono.setStyleHint(QFont::Monospace);
  details_->setFont(mono);

  auto* split = new QSplitter(Qt::Vertical);
  split->addWidget(table_);
  split->addWidget(details_);
  // The details get room for a bt fragment's translated code under the event.
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addLayout(bar);
  layout->addWidget(split);

  fill_kinds();
  connect(document_, &RunDocument::runReset, this, [this] {
    fill_kinds();
    apply_filters();
  });
  // A live run: the count of shown rows follows the rows as they come, and the kind list
  // the counters (a kind appears once its first event has).
  connect(filter_, &QAbstractItemModel::rowsInserted, this, &EventsView::update_count);
  connect(filter_, &QAbstractItemModel::rowsRemoved, this, &EventsView::update_count);
  connect(filter_, &QAbstractItemModel::modelReset, this, &EventsView::update_count);
  connect(document_, &RunDocument::summaryChanged, this, &EventsView::update_kinds);
  connect(kind_, &QComboBox::currentIndexChanged, this, &EventsView::apply_filters);
  connect(cpl_, &QComboBox::currentIndexChanged, this, &EventsView::apply_filters);
  connect(eip_from_, &QLineEdit::editingFinished, this, &EventsView::apply_filters);
  connect(eip_to_, &QLineEdit::editingFinished, this, &EventsView::apply_filters);
  connect(text_, &QLineEdit::returnPressed, this, &EventsView::apply_filters);
  connect(text_, &QLineEdit::textChanged, this, [this](const QString& t) {
    if (t.isEmpty()) apply_filters();
  });
  connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          [this](const QModelIndex& current) {
            show_details(current);
            if (current.isValid()) {
              const qulonglong e = current.data(EventTableModel::kEventIndexRole).toULongLong();
              if (selection_ != nullptr) selection_->select(document_, static_cast<size_t>(e));
              Q_EMIT eventSelected(e);
            }
          });
  apply_filters();
}

void EventsView::fill_kinds() {
  const QSignalBlocker block(kind_);
  const QVariant current = kind_->currentData();
  kind_->clear();
  kind_->addItem(tr("all kinds"), 0);
  for (vmm::EventKind k : vmm::all_event_kinds()) {
    const uint64_t n = document_->summary().count[vmm::index_of(k)];
    if (n == 0) continue;
    kind_->addItem(QStringLiteral("%1 (%2)").arg(kind_name(k)).arg(n), vmm::index_of(k));
  }
  const int i = kind_->findData(current);
  kind_->setCurrentIndex(i >= 0 ? i : 0);
}

void EventsView::update_kinds() {
  // Only the counts changed: relabel in place, so that an open drop-down stays open.
  int item = 1;
  for (vmm::EventKind k : vmm::all_event_kinds()) {
    const uint64_t n = document_->summary().count[vmm::index_of(k)];
    if (n == 0) continue;
    if (item >= kind_->count() || kind_->itemData(item).toUInt() != vmm::index_of(k)) {
      fill_kinds();  // a new kind: rebuild the list (the choice is kept)
      return;
    }
    kind_->setItemText(item++, QStringLiteral("%1 (%2)").arg(kind_name(k)).arg(n));
  }
}

void EventsView::update_count() {
  shown_->setText(
      tr("%1 of %2 traced events shown").arg(filter_->rowCount()).arg(model_->rowCount()));
}

QString EventsView::details_text() const {
  return details_->toPlainText();
}

QString EventsView::count_text() const {
  return shown_->text();
}

void EventsView::apply_filters() {
  EventFilterModel::KindSet kinds;
  const unsigned k = kind_->currentData().toUInt();
  if (k != 0 && k < vmm::kNumEventKinds) kinds.set(k);
  filter_->set_kinds(kinds);
  filter_->set_cpl(cpl_->currentData().toInt());
  uint32_t lo = 0, hi = 0xFFFFFFFFu;
  parse_address(eip_from_->text(), lo);
  parse_address(eip_to_->text(), hi);
  filter_->set_eip_range(lo, hi);
  filter_->set_text(text_->text().trimmed());
  update_count();
}

void EventsView::set_selection(EventSelection* selection) {
  if (selection_ != nullptr) disconnect(selection_, nullptr, this, nullptr);
  selection_ = selection;
  if (selection_ == nullptr) return;
  connect(selection_, &EventSelection::changed, this, [this] {
    if (const auto e = selection_->event_in(document_)) {
      select_event(*e);
    } else {
      // Nothing selected, or an event of another run (the aligned view's other row).
      const QSignalBlocker block(table_->selectionModel());
      table_->selectionModel()->clear();
      show_details({});
    }
  });
}

void EventsView::select_event(size_t event) {
  int row = filter_->row_of_event(event);
  if (row < 0) {
    kind_->setCurrentIndex(0);
    cpl_->setCurrentIndex(0);
    eip_from_->clear();
    eip_to_->clear();
    text_->clear();
    apply_filters();
    row = filter_->row_of_event(event);
  }
  if (row < 0) return;
  const QModelIndex index = filter_->index(row, 0);
  const QSignalBlocker block(table_->selectionModel());
  table_->selectionModel()->setCurrentIndex(
      index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
  table_->scrollTo(index, QAbstractItemView::PositionAtCenter);
  show_details(index);
}

QString EventsView::translation_text(size_t i) const {
  const RunSummary& summary = document_->summary();
  const EventStore& s = document_->events();
  const vmm::Event e = s.event(i);
  if (summary.translations == nullptr) {
    if (summary.translations_note.isEmpty()) return {};
    return QLatin1Char('\n') +
           tr("translated code: not shown (%1)").arg(summary.translations_note) + QLatin1Char('\n');
  }
  const BtTranslations& t = *summary.translations;
  // Where the fragments come from: the paused live run's cache, or the run directory's file.
  const QString source =
      t.live() ? tr("the translation cache at the pause") : tr("translations.jsonl");
  // A translation (or an adaptive retranslation) names the guest code it translated: its
  // fragment is that code's, wherever in the monitor the event was recorded. Of the
  // fragments there, the one live at the event's cycle (the cache may have dropped it later).
  const bool names_guest =
      e.kind == vmm::EventKind::bt_translate || e.kind == vmm::EventKind::bt_adapt;
  const BtTranslations::Fragment* f =
      names_guest ? t.fragment_of_guest(e.payload[0], e.cycle) : t.fragment_at(e.eip, e.cycle);
  if (f == nullptr) {
    if (names_guest) {
      return QLatin1Char('\n') +
             tr("translated code: guest 0x%1 has no fragment in %2 (left out by the file's "
                "bound, or dropped in a run that did not keep dropped fragments)")
                 .arg(e.payload[0], 8, 16, QLatin1Char('0'))
                 .arg(source) +
             QLatin1Char('\n');
    }
    if (e.eip < BtTranslations::kTranslationCacheBase) return {};  // guest code, not translated
    if (const BtTranslations::Fragment* r = t.retired_at(e.eip, e.cycle)) {
      // A jump chained to a fragment the monitor retired lands at its old entry.
      return QLatin1Char('\n') +
             tr("translated code: TC address 0x%1 lies in fragment %2, which the monitor "
                "retired before this event (at cycle %3, by %4): it wrote a dead entry (a "
                "callout that finds the current translation) or a forwarding jump over its "
                "entry, where jumps chained to it still land. Its code as it was:")
                 .arg(e.eip, 8, 16, QLatin1Char('0'))
                 .arg(r->index)
                 .arg(QLocale().toString(static_cast<qulonglong>(r->dropped_cycle)))
                 .arg(r->dropped == QStringLiteral("replace") ? tr("an adaptive retranslation")
                                                              : tr("a guest write to its code")) +
             QLatin1Char('\n') + r->text;
    }
    return QLatin1Char('\n') +
           tr("translated code: TC address 0x%1 is in no fragment of %2 live at this event's "
              "cycle: the cache's own routines (re-entry, lookup), or a fragment left out by "
              "the file's bound")
               .arg(e.eip, 8, 16, QLatin1Char('0'))
               .arg(source) +
           QLatin1Char('\n');
  }
  const QLocale locale;
  QString text;
  if (f->live_at_end()) {
    text = QLatin1Char('\n') +
           (t.live() ? tr("translated code (fragment %1 of the translation cache at the pause, "
                          "as vmlab bt-dump prints it):")
                           .arg(f->index)
                     : tr("translated code (fragment %1 of the translation cache as the run "
                          "ended, from translations.jsonl, as vmlab bt-dump prints it):")
                           .arg(f->index)) +
           QLatin1Char('\n');
  } else {
    const QString why =
        f->dropped == QStringLiteral("flush")        ? tr("a flush of the full cache")
        : f->dropped == QStringLiteral("invalidate") ? tr("a guest write to its code (invalidated)")
        : f->dropped == QStringLiteral("replace")    ? tr("an adaptive retranslation (replaced)")
                                                     : f->dropped;
    text = QLatin1Char('\n') +
           tr("translated code (fragment %1 as it was at this event: dropped later, at cycle %2 "
              "after %3 instructions, by %4; from %5, as vmlab bt-dump printed it then):")
               .arg(f->index)
               .arg(locale.toString(static_cast<qulonglong>(f->dropped_cycle)))
               .arg(locale.toString(static_cast<qulonglong>(f->dropped_instructions)))
               .arg(why, source) +
           QLatin1Char('\n');
  }
  if (!f->guest_mapped) {
    text += tr("  note: the guest no longer mapped this code then (boot code): the guest column "
               "shows what read there, not the instructions translated; the translation column "
               "is exact") +
            QLatin1Char('\n');
  }
  // A file that did not keep dropped fragments (an older vmlab's): a flush after this event
  // means the cache at the end may hold other code at this address.
  if (!t.tracks_drops()) {
    for (size_t k = s.size(); k-- > i + 1;) {
      if (s.kind(k) == vmm::EventKind::bt_flush) {
        text += tr("  note: the cache was flushed after this event (event %1): the code that "
                   "ran here may have been another translation")
                    .arg(k) +
                QLatin1Char('\n');
        break;
      }
    }
  }
  return text + f->text;
}

void EventsView::show_details(const QModelIndex& proxy_index) {
  if (!proxy_index.isValid()) {
    details_->clear();
    return;
  }
  const auto i = proxy_index.data(EventTableModel::kEventIndexRole).toULongLong();
  const EventStore& s = document_->events();
  if (i >= s.size()) return;
  const vmm::Event e = s.event(i);
  const auto& info = vmm::kEventKindInfo[vmm::index_of(e.kind)];
  QString text = describe_event(e, document_->summary().decode) + QLatin1Char('\n');
  // Right under the event: the instruction that caused it (from the kernel's image).
  const RunSummary& summary = document_->summary();
  if (summary.image != nullptr) {
    text +=
        tr("instruction at EIP: %1").arg(instruction_at(*summary.image, e.eip)) + QLatin1Char('\n');
  } else if (!summary.image_note.isEmpty()) {
    text += tr("instruction at EIP: not shown (%1)").arg(summary.image_note) + QLatin1Char('\n');
  }
  text += tr("class: %1").arg(QCoreApplication::translate("Lane", lane_name(lane_of(e.kind)))) +
          QLatin1Char('\n');
  for (size_t f = 0; f < info.fields.size(); ++f) {
    if (info.fields[f] == nullptr) continue;
    text += QStringLiteral("  %1 = %2 (0x%3)\n")
                .arg(QLatin1String(info.fields[f]))
                .arg(e.payload[f])
                .arg(e.payload[f], 0, 16);
  }
  text += translation_text(i);
  details_->setPlainText(text);
}

}  // namespace vmlab::gui
