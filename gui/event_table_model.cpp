#include "gui/event_table_model.h"

#include <QColor>
#include <algorithm>
#include <limits>

#include "gui/event_decoder.h"
#include "gui/lanes.h"

namespace vmlab::gui {

namespace {
QString hex(uint32_t v) {
  return QStringLiteral("0x%1").arg(v, 8, 16, QLatin1Char('0'));
}
}  // namespace

EventTableModel::EventTableModel(const RunDocument* document, QObject* parent)
    : QAbstractTableModel(parent), document_(document) {
  const auto clamp_rows = [this] {
    return static_cast<int>(
        std::min<size_t>(document_->events().size(), std::numeric_limits<int>::max()));
  };
  rows_ = clamp_rows();
  connect(document_, &RunDocument::runReset, this, [this, clamp_rows] {
    beginResetModel();
    rows_ = clamp_rows();
    endResetModel();
  });
  connect(document_, &RunDocument::eventsAppended, this, [this, clamp_rows] {
    const int rows = clamp_rows();
    if (rows <= rows_) return;
    beginInsertRows(QModelIndex(), rows_, rows - 1);
    rows_ = rows;
    endInsertRows();
  });
}

int EventTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : rows_;
}

int EventTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : kNumColumns;
}

QVariant EventTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rows_ || index.column() >= kNumColumns) return {};
  const EventStore& s = document_->events();
  const auto i = static_cast<size_t>(index.row());
  if (role == kEventIndexRole) return QVariant::fromValue<qulonglong>(i);
  if (role == Qt::TextAlignmentRole) {
    return index.column() == kKind || index.column() == kPayload
               ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
               : QVariant(Qt::AlignRight | Qt::AlignVCenter);
  }
  if (role == Qt::DecorationRole && index.column() == kKind) {
    return QColor(QRgb(lane_colour(lane_of(s.kind(i)))));
  }
  if (role == Qt::ToolTipRole && index.column() == kPayload) {
    return describe_event(s.event(i), document_->summary().decode);
  }
  if (role != Qt::DisplayRole) return {};
  switch (index.column()) {
    case kSeq: return QVariant::fromValue<qulonglong>(s.seq(i));
    case kCycle: return QVariant::fromValue<qulonglong>(s.cycle(i));
    case kKind: return kind_name(s.kind(i));
    case kCpl: return s.cpl(i);
    case kEip: return hex(s.eip(i));
    case kCharged: return s.charged(i);
    case kPayload: return describe_payload(s.kind(i), s.payload(i), document_->summary().decode);
    default: return {};
  }
}

QVariant EventTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (role != Qt::DisplayRole) return {};
  if (orientation == Qt::Vertical) return section;
  switch (section) {
    case kSeq: return tr("#");
    case kCycle: return tr("Cycle");
    case kKind: return tr("Kind");
    case kCpl: return tr("CPL");
    case kEip: return tr("EIP");
    case kCharged: return tr("Charged");
    case kPayload: return tr("Payload");
    default: return {};
  }
}

EventFilterModel::EventFilterModel(QObject* parent) : QAbstractProxyModel(parent) {}

void EventFilterModel::setSourceModel(QAbstractItemModel* source) {
  beginResetModel();
  disconnect(reset_);
  disconnect(inserted_);
  QAbstractProxyModel::setSourceModel(source);
  if (source != nullptr) {
    reset_ = connect(source, &QAbstractItemModel::modelReset, this, &EventFilterModel::refilter);
    inserted_ = connect(source, &QAbstractItemModel::rowsInserted, this,
                        &EventFilterModel::source_rows_inserted);
  }
  endResetModel();
  refilter();
}

QModelIndex EventFilterModel::index(int row, int column, const QModelIndex& parent) const {
  if (parent.isValid() || row < 0 || column < 0 || row >= rowCount() || column >= columnCount()) {
    return {};
  }
  return createIndex(row, column);
}

QModelIndex EventFilterModel::parent(const QModelIndex&) const {
  return {};
}

int EventFilterModel::rowCount(const QModelIndex& parent) const {
  if (parent.isValid()) return 0;
  return identity_ ? source_rows_ : static_cast<int>(rows_.size());
}

int EventFilterModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() || sourceModel() == nullptr ? 0 : sourceModel()->columnCount();
}

QModelIndex EventFilterModel::mapToSource(const QModelIndex& proxy) const {
  if (!proxy.isValid() || sourceModel() == nullptr || proxy.row() >= rowCount()) return {};
  const int row =
      identity_ ? proxy.row() : static_cast<int>(rows_[static_cast<size_t>(proxy.row())]);
  return sourceModel()->index(row, proxy.column());
}

QModelIndex EventFilterModel::mapFromSource(const QModelIndex& source) const {
  if (!source.isValid()) return {};
  const int row = row_of_event(static_cast<size_t>(source.row()));
  return row < 0 ? QModelIndex() : index(row, source.column());
}

void EventFilterModel::set_kinds(const KindSet& kinds) {
  kinds_ = kinds;
  refilter();
}

void EventFilterModel::set_cpl(int cpl) {
  cpl_ = cpl;
  refilter();
}

void EventFilterModel::set_eip_range(uint32_t lo, uint32_t hi) {
  eip_lo_ = lo;
  eip_hi_ = hi;
  refilter();
}

void EventFilterModel::set_text(const QString& text) {
  text_ = text;
  refilter();
}

bool EventFilterModel::filtering() const {
  return kinds_.any() || cpl_ >= 0 || eip_lo_ != 0 || eip_hi_ != 0xFFFFFFFFu || !text_.isEmpty();
}

void EventFilterModel::refilter() {
  beginResetModel();
  rows_.clear();
  source_rows_ = sourceModel() == nullptr ? 0 : sourceModel()->rowCount();
  identity_ = !filtering();
  if (!identity_) {
    for (int r = 0; r < source_rows_; ++r) {
      if (accepts(static_cast<size_t>(r))) rows_.push_back(static_cast<uint32_t>(r));
    }
  }
  endResetModel();
}

void EventFilterModel::source_rows_inserted(const QModelIndex& parent, int first, int last) {
  if (parent.isValid()) return;
  if (identity_) {
    beginInsertRows(QModelIndex(), source_rows_, source_rows_ + (last - first));
    source_rows_ += last - first + 1;
    endInsertRows();
    return;
  }
  source_rows_ += last - first + 1;
  std::vector<uint32_t> added;
  for (int r = first; r <= last; ++r) {
    if (accepts(static_cast<size_t>(r))) added.push_back(static_cast<uint32_t>(r));
  }
  if (added.empty()) return;
  const int at = static_cast<int>(rows_.size());
  beginInsertRows(QModelIndex(), at, at + static_cast<int>(added.size()) - 1);
  rows_.insert(rows_.end(), added.begin(), added.end());
  endInsertRows();
}

bool EventFilterModel::accepts(size_t i) const {
  const auto* model = qobject_cast<const EventTableModel*>(sourceModel());
  if (model == nullptr) return true;
  const RunDocument& doc = model->document();
  const EventStore& s = doc.events();
  if (i >= s.size()) return false;
  if (kinds_.any() && !kinds_.test(vmm::index_of(s.kind(i)))) return false;
  if (cpl_ >= 0 && s.cpl(i) != cpl_) return false;
  if (s.eip(i) < eip_lo_ || s.eip(i) > eip_hi_) return false;
  if (!text_.isEmpty()) {
    if (kind_name(s.kind(i)).contains(text_, Qt::CaseInsensitive)) return true;
    return describe_payload(s.kind(i), s.payload(i), doc.summary().decode)
        .contains(text_, Qt::CaseInsensitive);
  }
  return true;
}

int EventFilterModel::row_of_event(size_t event) const {
  if (identity_) return event < static_cast<size_t>(source_rows_) ? static_cast<int>(event) : -1;
  const auto it = std::lower_bound(rows_.begin(), rows_.end(), event);
  if (it == rows_.end() || *it != event) return -1;
  return static_cast<int>(it - rows_.begin());
}

}  // namespace vmlab::gui
