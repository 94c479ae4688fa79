// CompareView: workloads x modes from `vmlab compare --format json`, as grouped bars of
// cycles per operation or ratio to native (a log scale where they differ by orders of
// magnitude, as Adams & Agesen 2006, Fig. 4), and per mode the events per operation of
// one workload by event class (the shape of their Fig. 5). Exports PNG, SVG and CSV.
#pragma once

#include <QWidget>

#include <optional>

#include "gui/compare_data.h"
#include "gui/sweep_data.h"

class QCheckBox;
class QComboBox;
class QChartView;
class QLabel;
class QTableWidget;

namespace vmlab::gui {

class CompareView : public QWidget {
  Q_OBJECT
 public:
  explicit CompareView(QWidget* parent = nullptr);

  bool open_json(const QString& file, QString* error = nullptr);
  void set_data(CompareData data);
  // A `vmlab sweep` folder (gui/sweep_data.h): its configurations (profile and cost set)
  // are a choice above the charts, and the cells table beside the breakdown opens a cell's
  // run on double-click (cellActivated).
  bool open_sweep(const QString& dir, QString* error = nullptr);
  void set_sweep(SweepData sweep);
  const SweepData* sweep() const { return sweep_ ? &*sweep_ : nullptr; }
  // The sweep's configuration shown (an index into SweepData::configurations); false
  // without a sweep or out of range.
  bool set_configuration(qsizetype index);
  qsizetype configuration() const;
  // The cells of the configuration shown: workloads (rows) x modes (columns).
  QTableWidget* cells_table() { return cells_; }
  // The sweep cell behind a row and column of the cells table, or nullptr.
  const SweepCell* cell_at(int row, int column) const;
  const CompareData& data() const { return data_; }
  void set_log_scale(bool on);
  void set_ratio(bool ratio);  // false: cycles per operation
  // The breakdown chart: events per operation by class (false), or the cycles charged per
  // operation by class with the instructions' own cycles (true).
  void set_breakdown_cycles(bool cycles);
  // The workload the breakdown shows; false if the comparison has no such workload.
  bool set_breakdown_workload(const QString& workload);

  // Both charts, one above the other.
  bool export_png(const QString& file);
  bool export_svg(const QString& file);
  bool export_csv(const QString& file);
  // The line under the heading naming the cells that did not run: skipped ones with the
  // guest's reason (grey: not a failure), failed ones with their error (red).
  QString cells_note() const;

 Q_SIGNALS:
  // A sweep cell was double-clicked (in the cells table, or its bar): open its run.
  void cellActivated(const QString& cell_name);

 private:
  void rebuild();
  void show_data(CompareData data, const QString& heading);
  void show_configuration();
  void fill_cells_table();
  void render_to(QPainter& painter, const QSize& size);
  void choose_export(const QString& filter, const QString& suffix);

  CompareData data_;
  std::optional<SweepData> sweep_;
  QLabel* heading_;
  QLabel* configuration_label_;
  QComboBox* configuration_;
  QLabel* cells_label_;
  QTableWidget* cells_;
  QLabel* cells_note_;
  QComboBox* metric_;
  QCheckBox* log_;
  QComboBox* workload_;
  QComboBox* breakdown_unit_;
  QChartView* bars_;
  QChartView* breakdown_;
};

}  // namespace vmlab::gui
