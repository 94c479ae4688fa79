// The code and memory views of a live run (paused or stopped), from InspectionSnapshot.
//
// CodeView: the guest's registers as the guest believes them, the disassembly from EIP on,
// and under bt the translation of the block at EIP beside its guest instructions, callouts
// and in-TC sequences marked. MemoryView: the guest's page tables beside the tables the
// hardware walks (shadow, nested or direct), entries that differ marked, and the P2M.
#pragma once

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>
#include <QWidget>
#include <memory>
#include <optional>

#include "gui/inspection_snapshot.h"

class QComboBox;
class QLabel;
class QLineEdit;
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
  const vmm::PageRow& row(int r) const { return rows_[static_cast<size_t>(r)]; }

 private:
  std::vector<vmm::PageRow> rows_;
  vmm::RealPaging paging_ = vmm::RealPaging::kGuestTables;
};

// Which rows of the memory view are shown.
enum class PageFilter { all, differing, user };

class PageFilterModel : public QSortFilterProxyModel {
  Q_OBJECT
 public:
  using QSortFilterProxyModel::QSortFilterProxyModel;
  void set_filter(PageFilter filter);
  PageFilter filter() const { return filter_; }
  // The first shown row whose page is at or above `linear` (the last row if none is), or -1
  // when no row is shown.
  int row_at_or_after(uint32_t linear) const;

 protected:
  bool filterAcceptsRow(int source_row, const QModelIndex& source_parent) const override;

 private:
  PageFilter filter_ = PageFilter::all;
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
  PageFilterModel* shown() { return filter_; }
  void set_filter(PageFilter filter);
  // Scrolls to (and selects) the first shown page at or above `linear`; kept for the next
  // snapshot if none has come yet.
  void go_to(uint32_t linear);
  // The linear page of the selected row, if one is selected.
  std::optional<uint32_t> selected_page() const;

 private:
  void apply_go_to();
  QLabel* heading_;
  QComboBox* show_;
  QLineEdit* go_to_;
  PageTableModel* model_;
  PageFilterModel* filter_;
  QTableView* table_;
  std::optional<uint32_t> pending_go_to_;
};

}  // namespace vmlab::gui
