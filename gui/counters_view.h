// CountersView: per event kind count, cycles charged and share of modeled time (the
// CounterModel table), beside a bar chart of the share per event class, where a student
// sees at once what each mode spends its time on.
#pragma once

#include <QWidget>

#include "gui/counter_model.h"

class QTableView;
class QLabel;
namespace QtCharts {}
class QChartView;
class QBarSeries;
class QBarSet;
class QBarCategoryAxis;
class QValueAxis;

namespace vmlab::gui {

class CountersView : public QWidget {
  Q_OBJECT
 public:
  CountersView(const RunDocument* document, QWidget* parent = nullptr);
  CounterModel* model() { return model_; }

 private:
  void refresh_chart();
  const RunDocument* document_;
  CounterModel* model_;
  QTableView* table_;
  QLabel* summary_;
  QChartView* chart_view_;
};

}  // namespace vmlab::gui
