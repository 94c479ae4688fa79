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
#include <QLabel>
#include <QLogValueAxis>
#include <QPainter>
#include <QPushButton>
#include <QStackedBarSeries>
#include <QSvgGenerator>
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
  layout->addLayout(bar);
  layout->addWidget(bars_, 3);
  layout->addWidget(breakdown_, 2);
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
  data_ = std::move(data);
  const QSignalBlocker block(workload_);
  workload_->clear();
  workload_->addItems(data_.workloads);
  heading_->setText(tr("<b>vmlab compare</b>, profile %1: %2 workloads in %3 modes.")
                        .arg(data_.profile.toHtmlEscaped())
                        .arg(data_.workloads.size())
                        .arg(data_.modes.size()));
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
