#include "gui/compare_view.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QLogValueAxis>
#include <QPainter>
#include <QPushButton>
#include <QStackedBarSeries>
#include <QSvgGenerator>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

#include "engine/vmm/core/event.h"
#include "gui/lanes.h"

namespace vmlab::gui {

namespace {
// Mode colours, the same in both charts.
QColor mode_colour(const QString& mode) {
  static const QMap<QString, QColor> kColours = {
      {QStringLiteral("native"), QColor(0x33, 0x33, 0x33)},
      {QStringLiteral("trap"), QColor(0xD5, 0x5E, 0x00)},
      {QStringLiteral("trap-npt"), QColor(0xE6, 0x9F, 0x00)},
      {QStringLiteral("trap-classic"), QColor(0xCC, 0x79, 0xA7)},
      {QStringLiteral("bt"), QColor(0x00, 0x72, 0xB2)},
      {QStringLiteral("pv"), QColor(0x00, 0x9E, 0x73)},
  };
  return kColours.value(mode, QColor(0x80, 0x80, 0x80));
}
}  // namespace

CompareView::CompareView(QWidget* parent) : QWidget(parent) {
  heading_ =
      new QLabel(tr("No comparison open: run <tt>vmlab compare --modes all --format json "
                    "&gt; compare.json</tt> and open it (File menu, or vmlab-gui "
                    "--compare compare.json)."));
  heading_->setWordWrap(true);
  cells_note_ = new QLabel;
  cells_note_->setWordWrap(true);
  cells_note_->setTextFormat(Qt::RichText);
  cells_note_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  cells_note_->hide();
  metric_ = new QComboBox;
  metric_->addItem(tr("cycles per operation"));
  metric_->addItem(tr("ratio to native"));
  log_ = new QCheckBox(tr("log scale"));
  log_->setChecked(true);
  workload_ = new QComboBox;
  workload_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  workload_->setMinimumContentsLength(16);
  // A sweep's extra dimension: the profile and its cost override set.
  configuration_label_ = new QLabel(tr("Profile and costs:"));
  configuration_ = new QComboBox;
  // Long names (many cost overrides, a workload's arguments) are elided, not widening the
  // window past the screen.
  configuration_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  configuration_->setMinimumContentsLength(32);
  configuration_label_->hide();
  configuration_->hide();
  cells_label_ = new QLabel(
      tr("<b>Cells</b> (cycles per operation; double-click a cell for its run: events and "
         "timeline)"));
  cells_label_->setWordWrap(true);
  cells_ = new QTableWidget;
  cells_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  cells_->setSelectionMode(QAbstractItemView::SingleSelection);
  cells_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  cells_->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  cells_label_->hide();
  cells_->hide();
  breakdown_unit_ = new QComboBox;
  breakdown_unit_->addItem(tr("events per operation"));
  breakdown_unit_->addItem(tr("cycles per operation"));
  auto* png = new QPushButton(tr("Export PNG..."));
  auto* svg = new QPushButton(tr("Export SVG..."));
  auto* csv = new QPushButton(tr("Export CSV..."));
  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel(tr("Show:")));
  bar->addWidget(metric_);
  bar->addWidget(log_);
  bar->addSpacing(20);
  bar->addWidget(new QLabel(tr("Breakdown of:")));
  bar->addWidget(workload_);
  bar->addWidget(breakdown_unit_);
  bar->addStretch(1);
  bar->addWidget(png);
  bar->addWidget(svg);
  bar->addWidget(csv);
  bars_ = new QChartView;
  breakdown_ = new QChartView;
  bars_->setRenderHint(QPainter::Antialiasing);
  breakdown_->setRenderHint(QPainter::Antialiasing);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addWidget(heading_);
  layout->addWidget(cells_note_);
  auto* sweep_bar = new QHBoxLayout;  // a sweep's row: its profile and cost sets
  sweep_bar->addWidget(configuration_label_);
  sweep_bar->addWidget(configuration_, 1);
  layout->addLayout(sweep_bar);
  layout->addLayout(bar);
  layout->addWidget(bars_, 3);
  auto* bottom = new QHBoxLayout;
  bottom->addWidget(breakdown_, 1);
  auto* cells_box = new QVBoxLayout;
  cells_box->addWidget(cells_label_);
  cells_box->addWidget(cells_, 1);
  bottom->addLayout(cells_box, 1);
  layout->addLayout(bottom, 2);
  connect(configuration_, &QComboBox::currentIndexChanged, this, &CompareView::show_configuration);
  connect(cells_, &QTableWidget::cellDoubleClicked, this, [this](int row, int column) {
    if (const SweepCell* cell = cell_at(row, column)) Q_EMIT cellActivated(cell->name);
  });
  connect(metric_, &QComboBox::currentIndexChanged, this, &CompareView::rebuild);
  connect(log_, &QCheckBox::toggled, this, &CompareView::rebuild);
  connect(workload_, &QComboBox::currentIndexChanged, this, &CompareView::rebuild);
  connect(breakdown_unit_, &QComboBox::currentIndexChanged, this, &CompareView::rebuild);
  connect(png, &QPushButton::clicked, this,
          [this] { choose_export(tr("PNG image (*.png)"), QStringLiteral("png")); });
  connect(svg, &QPushButton::clicked, this,
          [this] { choose_export(tr("SVG drawing (*.svg)"), QStringLiteral("svg")); });
  connect(csv, &QPushButton::clicked, this,
          [this] { choose_export(tr("CSV table (*.csv)"), QStringLiteral("csv")); });
  rebuild();
}

bool CompareView::open_json(const QString& file, QString* error) {
  auto data = load_compare_json(file);
  if (!data) {
    if (error != nullptr) *error = QString::fromStdString(data.error().message);
    return false;
  }
  set_data(std::move(data.value()));
  return true;
}

void CompareView::set_data(CompareData data) {
  sweep_.reset();
  configuration_label_->hide();
  configuration_->hide();
  cells_label_->hide();
  cells_->hide();
  breakdown_unit_->setItemData(1, QVariant(), Qt::UserRole - 1);  // enabled again
  const QString heading = tr("<b>vmlab compare</b>, profile %1: %2 workloads in %3 modes.")
                              .arg(data.profile.toHtmlEscaped())
                              .arg(data.workloads.size())
                              .arg(data.modes.size());
  show_data(std::move(data), heading);
}

bool CompareView::open_sweep(const QString& dir, QString* error) {
  auto sweep = load_sweep(dir);
  if (!sweep) {
    if (error != nullptr) *error = QString::fromStdString(sweep.error().message);
    return false;
  }
  set_sweep(std::move(sweep.value()));
  return true;
}

void CompareView::set_sweep(SweepData sweep) {
  sweep_ = std::move(sweep);
  {
    const QSignalBlocker block(configuration_);
    configuration_->clear();
    configuration_->addItems(sweep_->configurations);
    configuration_->setCurrentIndex(0);
  }
  configuration_label_->show();
  configuration_->show();
  cells_label_->show();
  cells_->show();
  // A sweep keeps no cycles charged per event kind: only events per operation break down.
  breakdown_unit_->setCurrentIndex(0);
  breakdown_unit_->setItemData(1, 0, Qt::UserRole - 1);  // disabled (QStandardItemModel)
  show_configuration();
}

bool CompareView::set_configuration(qsizetype index) {
  if (!sweep_ || index < 0 || index >= sweep_->configurations.size()) return false;
  configuration_->setCurrentIndex(static_cast<int>(index));
  return true;
}

qsizetype CompareView::configuration() const {
  return sweep_ ? configuration_->currentIndex() : -1;
}

void CompareView::show_configuration() {
  if (!sweep_) return;
  const qsizetype index = configuration_->currentIndex();
  CompareData data = sweep_->compare_for(index);
  const QString heading =
      tr("<b>vmlab sweep</b> %1: %2 cells (%3 measured, %4 skipped, %5 failed) in %6 "
         "profile and cost sets. Shown: <b>%7</b>, %8 workloads in %9 modes.")
          .arg(sweep_->dir.toHtmlEscaped())
          .arg(sweep_->cells.size())
          .arg(sweep_->count_ok())
          .arg(sweep_->count_skipped())
          .arg(sweep_->count_failed())
          .arg(sweep_->configurations.size())
          .arg(data.profile.toHtmlEscaped())
          .arg(data.workloads.size())
          .arg(data.modes.size());
  const QString workload = workload_->currentText();
  show_data(std::move(data), heading);
  set_breakdown_workload(workload);  // the same workload in the next configuration
  fill_cells_table();
}

const SweepCell* CompareView::cell_at(int row, int column) const {
  if (!sweep_ || row < 0 || column < 0 || row >= data_.workloads.size() ||
      column >= data_.modes.size()) {
    return nullptr;
  }
  return sweep_->find(configuration(), data_.workloads[row], data_.modes[column]);
}

void CompareView::fill_cells_table() {
  cells_->clear();
  cells_->setRowCount(static_cast<int>(data_.workloads.size()));
  cells_->setColumnCount(static_cast<int>(data_.modes.size()));
  cells_->setHorizontalHeaderLabels(data_.modes);
  cells_->setVerticalHeaderLabels(data_.workloads);
  const QLocale locale;
  for (int row = 0; row < data_.workloads.size(); ++row) {
    for (int column = 0; column < data_.modes.size(); ++column) {
      const SweepCell* cell = cell_at(row, column);
      auto* item = new QTableWidgetItem;
      if (cell == nullptr) {
        item->setText(tr("(not in the grid)"));
        item->setForeground(QColor(0x88, 0x88, 0x88));
      } else if (cell->ok) {
        item->setText(locale.toString(cell->cycles_per_op, 'f', 1));
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        item->setToolTip(tr("%1: %2 cycles per operation. Double-click: its run (events, "
                            "timeline).")
                             .arg(cell->name, locale.toString(cell->cycles_per_op, 'f', 1)));
      } else if (cell->skipped) {
        item->setText(tr("skipped"));
        item->setBackground(QColor(0xEE, 0xEE, 0xEE));
        item->setForeground(QColor(0x55, 0x55, 0x55));
        item->setToolTip(tr("%1: skipped: %2").arg(cell->name, cell->reason));
      } else {
        item->setText(tr("failed"));
        item->setBackground(QColor(0xFD, 0xE2, 0xE1));
        item->setForeground(QColor(0xB0, 0x00, 0x20));
        item->setToolTip(tr("%1: failed: %2").arg(cell->name, cell->reason));
      }
      cells_->setItem(row, column, item);
    }
  }
}

void CompareView::show_data(CompareData data, const QString& heading) {
  data_ = std::move(data);
  const QSignalBlocker block(workload_);
  workload_->clear();
  workload_->addItems(data_.workloads);
  heading_->setText(heading);
  // The cells without a bar, and why: a skipped cell is no failure.
  QStringList note;
  const QStringList skipped = data_.skipped_cells();
  const QStringList failed = data_.failed_cells();
  if (!skipped.isEmpty()) {
    note << tr("<span style='color:#555'><b>Skipped</b> (the guest cannot run the workload "
               "here; not a failure, no bar): %1</span>")
                .arg(skipped.join(QStringLiteral("; ")).toHtmlEscaped());
  }
  if (!failed.isEmpty()) {
    note << tr("<span style='color:#b00020'><b>Failed</b> (no bar): %1</span>")
                .arg(failed.join(QStringLiteral("; ")).toHtmlEscaped());
  }
  cells_note_->setText(note.join(QStringLiteral("<br>")));
  cells_note_->setVisible(!note.isEmpty());
  rebuild();
}

QString CompareView::cells_note() const {
  return cells_note_->text();
}

void CompareView::set_log_scale(bool on) {
  log_->setChecked(on);
}

void CompareView::set_ratio(bool ratio) {
  metric_->setCurrentIndex(ratio ? 1 : 0);
}

void CompareView::rebuild() {
  const bool ratio = metric_->currentIndex() == 1;
  auto* chart = new QChart;
  chart->setTitle(ratio ? tr("Ratio to native per workload (lower is better)")
                        : tr("Modeled cycles per operation per workload (lower is better)"));
  double lo = 1e300, hi = 0;
  auto value_of = [&](const QString& w, const QString& mode) {
    const CompareResult* r = data_.find(w, mode);
    return r == nullptr || !r->ok ? 0.0 : (ratio ? r->ratio_to_native : r->cycles_per_op);
  };
  for (const QString& mode : data_.modes) {
    for (const QString& w : data_.workloads) {
      const double v = value_of(w, mode);
      if (v > 0) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
  }
  if (hi <= 0) {
    lo = 1;
    hi = 10;
  }
  const bool log = log_->isChecked();
  const double floor = std::pow(10, std::floor(std::log10(lo)));
  auto* series = new QBarSeries;
  for (const QString& mode : data_.modes) {
    auto* set = new QBarSet(mode);
    set->setColor(mode_colour(mode));
    // A sweep's bar opens its cell's run, as the cells table does.
    connect(set, &QBarSet::doubleClicked, this, [this, mode](int index) {
      if (!sweep_ || index < 0 || index >= data_.workloads.size()) return;
      if (const SweepCell* cell = sweep_->find(configuration(), data_.workloads[index], mode)) {
        Q_EMIT cellActivated(cell->name);
      }
    });
    for (const QString& w : data_.workloads) {
      // A skipped or failed cell has no bar: on the log axis it stands at the axis floor
      // (a zero there has no logarithm, and Qt warns on stderr).
      const double v = value_of(w, mode);
      *set << (v > 0 || !log ? v : floor);
    }
    series->append(set);
  }
  chart->addSeries(series);
  auto* x = new QBarCategoryAxis;
  x->append(data_.workloads);
  chart->addAxis(x, Qt::AlignBottom);
  series->attachAxis(x);
  if (log) {
    auto* y = new QLogValueAxis;
    y->setBase(10);
    y->setLabelFormat(QStringLiteral("%g"));
    y->setRange(floor, std::pow(10, std::ceil(std::log10(hi * 1.01))));
    y->setTitleText(ratio ? tr("x native (log)") : tr("cycles (log)"));
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(y);
  } else {
    auto* y = new QValueAxis;
    y->setRange(0, hi * 1.1);
    y->setLabelFormat(QStringLiteral("%g"));
    y->setTitleText(ratio ? tr("x native") : tr("cycles"));
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(y);
    if (y->max() > y->min()) y->applyNiceNumbers();  // ticks at round values
  }
  chart->legend()->setAlignment(Qt::AlignRight);
  QChart* old = bars_->chart();
  bars_->setChart(chart);
  delete old;

  // Breakdown of one workload, per mode, stacked by event class: the events per operation,
  // or the cycles charged per operation with the instructions' own cycles beneath them.
  const QString workload = workload_->currentText();
  const bool cycles = breakdown_unit_->currentIndex() == 1;
  auto* bd = new QChart;
  bd->setTitle(cycles ? tr("%1: modeled cycles per operation by source").arg(workload)
                      : tr("%1: events per operation by event class").arg(workload));
  auto* stacked = new QStackedBarSeries;
  std::array<std::vector<double>, kNumLanes> per_lane;
  for (auto& v : per_lane) v.assign(static_cast<size_t>(data_.modes.size()), 0.0);
  std::vector<double> instructions(static_cast<size_t>(data_.modes.size()), 0.0);
  for (qsizetype m = 0; m < data_.modes.size(); ++m) {
    const CompareResult* r = data_.find(workload, data_.modes[m]);
    if (r == nullptr) continue;
    const QMap<QString, double>& values = cycles ? r->event_cycles_per_op : r->events_per_op;
    double charged = 0;
    for (auto it = values.begin(); it != values.end(); ++it) {
      const auto kind = vmm::event_kind_from_name(it.key().toStdString());
      if (!kind) continue;
      per_lane[index_of(lane_of(*kind))][static_cast<size_t>(m)] += it.value();
      charged += it.value();
    }
    instructions[static_cast<size_t>(m)] = std::max(0.0, r->modeled_cycles_per_op - charged);
  }
  if (cycles) {
    auto* set = new QBarSet(tr("Guest instructions"));
    set->setColor(QColor(0xB0, 0xB0, 0xB0));
    for (double v : instructions) *set << v;
    stacked->append(set);
  }
  for (unsigned l = 0; l < kNumLanes; ++l) {
    bool any = false;
    for (double v : per_lane[l]) any = any || v > 0;
    if (!any) continue;
    auto* set = new QBarSet(QCoreApplication::translate("Lane", lane_name(static_cast<Lane>(l))));
    set->setColor(QColor(QRgb(lane_colour(static_cast<Lane>(l)))));
    for (double v : per_lane[l]) *set << v;
    stacked->append(set);
  }
  bd->addSeries(stacked);
  // A mode that did not run this workload says so under its (empty) bar.
  QStringList mode_labels;
  for (const QString& mode : data_.modes) {
    const CompareResult* r = data_.find(workload, mode);
    if (r == nullptr || r->ok) {
      mode_labels << mode;
    } else {
      mode_labels << (r->skipped ? tr("%1 (skipped)") : tr("%1 (failed)")).arg(mode);
    }
  }
  auto* bx = new QBarCategoryAxis;
  bx->append(mode_labels);
  bd->addAxis(bx, Qt::AlignBottom);
  stacked->attachAxis(bx);
  auto* by = new QValueAxis;
  by->setLabelFormat(QStringLiteral("%g"));
  by->setTitleText(cycles ? tr("cycles per operation") : tr("events per operation"));
  bd->addAxis(by, Qt::AlignLeft);
  stacked->attachAxis(by);
  // Ticks at round values, not at a fifth of the tallest bar (an empty chart has no range).
  if (by->max() > by->min()) by->applyNiceNumbers();
  bd->legend()->setAlignment(Qt::AlignRight);
  old = breakdown_->chart();
  breakdown_->setChart(bd);
  delete old;
}

void CompareView::set_breakdown_cycles(bool cycles) {
  breakdown_unit_->setCurrentIndex(cycles ? 1 : 0);
}

bool CompareView::set_breakdown_workload(const QString& workload) {
  const int i = workload_->findText(workload);
  if (i < 0) return false;
  workload_->setCurrentIndex(i);
  return true;
}

void CompareView::render_to(QPainter& painter, const QSize& size) {
  const int top_h = size.height() * 3 / 5;
  bars_->chart()->scene()->render(&painter, QRectF(0, 0, size.width(), top_h));
  breakdown_->chart()->scene()->render(&painter,
                                       QRectF(0, top_h, size.width(), size.height() - top_h));
}

bool CompareView::export_png(const QString& file) {
  QImage image(QSize(1200, 900), QImage::Format_ARGB32_Premultiplied);
  image.fill(Qt::white);
  {
    QPainter p(&image);
    p.setRenderHint(QPainter::Antialiasing);
    bars_->chart()->resize(1200, 540);
    breakdown_->chart()->resize(1200, 360);
    render_to(p, image.size());
  }
  return image.save(file, "PNG");
}

bool CompareView::export_svg(const QString& file) {
  QSvgGenerator svg;
  svg.setFileName(file);
  svg.setSize(QSize(1200, 900));
  svg.setViewBox(QRect(0, 0, 1200, 900));
  svg.setTitle(tr("vmlab compare"));
  QPainter p;
  if (!p.begin(&svg)) return false;
  bars_->chart()->resize(1200, 540);
  breakdown_->chart()->resize(1200, 360);
  render_to(p, QSize(1200, 900));
  return p.end();
}

bool CompareView::export_csv(const QString& file) {
  QFile f(file);
  if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return false;
  return f.write(data_.to_csv().toUtf8()) >= 0;
}

void CompareView::choose_export(const QString& filter, const QString& suffix) {
  auto* dialog = new QFileDialog(this, tr("Export the comparison"));
  dialog->setAcceptMode(QFileDialog::AcceptSave);
  dialog->setNameFilter(filter);
  dialog->setDefaultSuffix(suffix);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  connect(dialog, &QFileDialog::fileSelected, this, [this, suffix](const QString& f) {
    if (suffix == QStringLiteral("png"))
      export_png(f);
    else if (suffix == QStringLiteral("svg"))
      export_svg(f);
    else
      export_csv(f);
  });
  dialog->open();
}

}  // namespace vmlab::gui
