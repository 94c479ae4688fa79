// EventTableModel: the run's events as a table (one row per event, in seq order), text
// made only when a row is shown (KernelShark formats strings in data(), never ahead).
// EventFilterModel narrows it by kind, CPL, EIP range and text.
#pragma once

#include <QAbstractProxyModel>
#include <QAbstractTableModel>
#include <bitset>
#include <vector>

#include "gui/run_document.h"

namespace vmlab::gui {

class EventTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { kSeq, kCycle, kKind, kCpl, kEip, kCharged, kPayload, kNumColumns };
  // The store index of a row, for the views (Qt::UserRole on any column).
  static constexpr int kEventIndexRole = Qt::UserRole;

  explicit EventTableModel(const RunDocument* document, QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = QModelIndex()) const override;
  int columnCount(const QModelIndex& parent = QModelIndex()) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

  const RunDocument& document() const { return *document_; }

 private:
  const RunDocument* document_;
  int rows_ = 0;
};

// A proxy that keeps the source rows it accepts in one vector, rebuilt in one pass when a
// filter changes (QSortFilterProxyModel emits a removal per hidden range, which is quadratic
// on a million-row trace). Rows appended to the source (a live run) are filtered as they come.
class EventFilterModel : public QAbstractProxyModel {
  Q_OBJECT
 public:
  using KindSet = std::bitset<vmm::kNumEventKinds>;
  explicit EventFilterModel(QObject* parent = nullptr);

  void setSourceModel(QAbstractItemModel* source) override;
  QModelIndex index(int row, int column, const QModelIndex& parent = QModelIndex()) const override;
  QModelIndex parent(const QModelIndex& child) const override;
  int rowCount(const QModelIndex& parent = QModelIndex()) const override;
  int columnCount(const QModelIndex& parent = QModelIndex()) const override;
  QModelIndex mapToSource(const QModelIndex& proxy) const override;
  QModelIndex mapFromSource(const QModelIndex& source) const override;

  void set_kinds(const KindSet& kinds);          // empty set: every kind
  void set_cpl(int cpl);                         // -1: any
  void set_eip_range(uint32_t lo, uint32_t hi);  // inclusive
  void set_text(const QString& text);            // case-insensitive, in kind name and payload
  // The proxy row of a store index, or -1 when it is filtered out.
  int row_of_event(size_t event) const;

 private:
  bool accepts(size_t event) const;
  bool filtering() const;
  void refilter();
  void source_rows_inserted(const QModelIndex& parent, int first, int last);

  KindSet kinds_;
  int cpl_ = -1;
  uint32_t eip_lo_ = 0;
  uint32_t eip_hi_ = 0xFFFFFFFFu;
  QString text_;
  bool identity_ = true;        // no filter: proxy row == source row, rows_ unused
  std::vector<uint32_t> rows_;  // accepted source rows, ascending
  int source_rows_ = 0;
  QMetaObject::Connection reset_, inserted_;
};

}  // namespace vmlab::gui
