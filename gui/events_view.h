// EventsView: the event table with its filter bar (kind, CPL, EIP range, text) and the
// selected event decoded underneath.
#pragma once

#include <QWidget>

#include "gui/event_table_model.h"

class QComboBox;
class QLineEdit;
class QTableView;
class QPlainTextEdit;
class QLabel;

namespace vmlab::gui {

class EventSelection;

class EventsView : public QWidget {
  Q_OBJECT
 public:
  EventsView(const RunDocument* document, QWidget* parent = nullptr);

  EventTableModel* model() { return model_; }
  EventFilterModel* filter() { return filter_; }
  QTableView* table() { return table_; }
  // Selects the event (clearing filters that hide it) and scrolls to it.
  void select_event(size_t event);
  // The selection the table selects through and shows (the window's, shared with the
  // timeline and the aligned view): choosing a row selects its event there, and the
  // selected row follows the selection while it is one of this run's events.
  void set_selection(EventSelection* selection);
  // Applies the filter bar's text fields (also called as they change).
  void apply_filters();
  // "N of M events": rows shown of rows in the run.
  QString count_text() const;
  // The selected event spelled out (the text under the table).
  QString details_text() const;

 Q_SIGNALS:
  void eventSelected(qulonglong event);

 private:
  void show_details(const QModelIndex& proxy_index);
  // bt: the translated code at event i's EIP from the run's translations.jsonl, or why not.
  QString translation_text(size_t i) const;
  void fill_kinds();
  void update_kinds();
  void update_count();

  const RunDocument* document_;
  EventSelection* selection_ = nullptr;
  EventTableModel* model_;
  EventFilterModel* filter_;
  QComboBox* kind_ = nullptr;
  QComboBox* cpl_ = nullptr;
  QLineEdit* eip_from_ = nullptr;
  QLineEdit* eip_to_ = nullptr;
  QLineEdit* text_ = nullptr;
  QLabel* shown_ = nullptr;
  QTableView* table_ = nullptr;
  QPlainTextEdit* details_ = nullptr;
};

}  // namespace vmlab::gui
