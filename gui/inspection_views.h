// The code and memory views of a live run (paused or stopped), from InspectionSnapshot.
//
// CodeView: the guest's registers as the guest believes them, the disassembly from EIP on,
// and under bt the translation of the block at EIP beside its guest instructions, callouts
// and in-TC sequences marked. MemoryView: the guest's page tables beside the tables the
// hardware walks (shadow, nested or direct), entries that differ marked, and the P2M.
#pragma once

#include <QAbstractTableModel>
#include <QWidget>
#include <memory>

#include "gui/inspection_snapshot.h"

class QLabel;
class QPlainTextEdit;
class QTableView;

namespace vmlab::gui {

class PageTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column {
    kLinear,
    kGuestPde,
    kGuestPte,
    kGuestAddress,
    kRealPde,
    kRealPte,
    kMachineAddress,
    kRights,
    kNumColumns
  };
  using QAbstractTableModel::QAbstractTableModel;
  void set_rows(std::vector<vmm::PageRow> rows, vmm::RealPaging paging);
  int rowCount(const QModelIndex& parent = QModelIndex()) const override;
  int columnCount(const QModelIndex& parent = QModelIndex()) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;
  size_t differing() const;

 private:
  std::vector<vmm::PageRow> rows_;
  vmm::RealPaging paging_ = vmm::RealPaging::kGuestTables;
};

class CodeView : public QWidget {
  Q_OBJECT
 public:
  explicit CodeView(QWidget* parent = nullptr);
  void show_snapshot(const std::shared_ptr<const InspectionSnapshot>& snapshot);
  QString code_text() const;
  QString translation_text() const;

 private:
  QLabel* registers_;
  QPlainTextEdit* code_;
  QPlainTextEdit* translation_;
};

class MemoryView : public QWidget {
  Q_OBJECT
 public:
  explicit MemoryView(QWidget* parent = nullptr);
  void show_snapshot(const std::shared_ptr<const InspectionSnapshot>& snapshot);
  PageTableModel* model() { return model_; }

 private:
  QLabel* heading_;
  PageTableModel* model_;
  QTableView* table_;
};

}  // namespace vmlab::gui
