// CounterModel: per event kind the count, the cycles charged and their share of modeled
// time, from stats.json or, during a live run, from the latest counters snapshot. Only
// kinds that occurred are rows, in kind order, after a total row.
#pragma once

#include <QAbstractTableModel>
#include <vector>

#include "gui/run_document.h"

namespace vmlab::gui {

class CounterModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { kKind, kClass, kCount, kCycles, kShare, kNumColumns };
  explicit CounterModel(const RunDocument* document, QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = QModelIndex()) const override;
  int columnCount(const QModelIndex& parent = QModelIndex()) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

  // Share of modeled time in percent for the kind (0 when the run has no cycles yet).
  double share_percent(vmm::EventKind kind) const;

 private:
  void refresh();
  const RunDocument* document_;
  std::vector<vmm::EventKind> rows_;  // kinds shown
};

}  // namespace vmlab::gui
