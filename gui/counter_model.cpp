#include "gui/counter_model.h"

#include <QColor>
#include <QCoreApplication>
#include <QFont>
#include <QLocale>

#include "gui/event_decoder.h"
#include "gui/lanes.h"

namespace vmlab::gui {

CounterModel::CounterModel(const RunDocument* document, QObject* parent)
    : QAbstractTableModel(parent), document_(document) {
  connect(document_, &RunDocument::runReset, this, &CounterModel::refresh);
  connect(document_, &RunDocument::summaryChanged, this, &CounterModel::refresh);
  refresh();
}

void CounterModel::refresh() {
  std::vector<vmm::EventKind> rows;
  const RunSummary& s = document_->summary();
  for (vmm::EventKind k : vmm::all_event_kinds()) {
    if (s.count[vmm::index_of(k)] != 0) rows.push_back(k);
  }
  if (rows != rows_) {
    beginResetModel();
    rows_ = std::move(rows);
    endResetModel();
  } else if (!rows_.empty()) {
    Q_EMIT dataChanged(index(0, kCount), index(rowCount() - 1, kShare));
  }
}

int CounterModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size()) + 1;
}

int CounterModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : kNumColumns;
}

double CounterModel::share_percent(vmm::EventKind kind) const {
  const RunSummary& s = document_->summary();
  if (s.cycles == 0) return 0;
  return 100.0 * static_cast<double>(s.charged[vmm::index_of(kind)]) /
         static_cast<double>(s.cycles);
}

QVariant CounterModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount() || index.column() >= kNumColumns) return {};
  const RunSummary& s = document_->summary();
  const bool total = index.row() == 0;
  const vmm::EventKind kind =
      total ? vmm::EventKind::trap : rows_[static_cast<size_t>(index.row() - 1)];
  const unsigned k = vmm::index_of(kind);
  if (role == Qt::TextAlignmentRole) {
    return index.column() <= kClass ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                    : QVariant(Qt::AlignRight | Qt::AlignVCenter);
  }
  if (role == Qt::DecorationRole && index.column() == kKind && !total) {
    return QColor(QRgb(lane_colour(lane_of(kind))));
  }
  if (role == Qt::FontRole && total) {
    QFont bold;
    bold.setBold(true);
    return bold;
  }
  if (role != Qt::DisplayRole) return {};
  const QLocale locale;
  uint64_t events_total = 0;
  for (uint64_t c : s.count) events_total += c;
  switch (index.column()) {
    case kKind: return total ? tr("all events since boot") : kind_name(kind);
    case kClass:
      return total ? QString() : QCoreApplication::translate("Lane", lane_name(lane_of(kind)));
    case kCount: return locale.toString(static_cast<qulonglong>(total ? events_total : s.count[k]));
    case kCycles:
      return locale.toString(static_cast<qulonglong>(total ? s.event_cycles : s.charged[k]));
    case kShare: {
      const double share = total ? (s.cycles == 0 ? 0.0
                                                  : 100.0 * static_cast<double>(s.event_cycles) /
                                                        static_cast<double>(s.cycles))
                                 : share_percent(kind);
      return QStringLiteral("%1 %").arg(locale.toString(share, 'f', 2));
    }
    default: return {};
  }
}

QVariant CounterModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (role != Qt::DisplayRole || orientation != Qt::Horizontal) return {};
  switch (section) {
    case kKind: return tr("Event kind");
    case kClass: return tr("Class");
    case kCount: return tr("Count");
    case kCycles: return tr("Cycles charged");
    case kShare: return tr("Share of modeled time");
    default: return {};
  }
}

}  // namespace vmlab::gui
