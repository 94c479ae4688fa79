#include "gui/counters_view.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QCoreApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHorizontalBarSeries>
#include <QLabel>
#include <QLocale>
#include <QTableView>
#include <QVBoxLayout>
#include <QValueAxis>
#include <cmath>

#include "gui/lanes.h"

namespace vmlab::gui {

CountersView::CountersView(const RunDocument* document, QWidget* parent)
    : QWidget(parent), document_(document), model_(new CounterModel(document, this)) {
  table_ = new QTableView;
  table_->setModel(model_);
  table_->verticalHeader()->setVisible(false);
  table_->verticalHeader()->setDefaultSectionSize(20);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->setColumnWidth(CounterModel::kKind, 175);
  table_->setColumnWidth(CounterModel::kClass, 170);
  table_->setColumnWidth(CounterModel::kCount, 90);
  table_->setColumnWidth(CounterModel::kCycles, 120);
  table_->setAlternatingRowColors(true);
  summary_ = new QLabel;
  summary_->setWordWrap(true);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  chart_view_ = new QChartView;
  chart_view_->setRenderHint(QPainter::Antialiasing);
  chart_view_->setMinimumWidth(420);

  auto* left = new QVBoxLayout;
  left->addWidget(summary_);
  left->addWidget(table_, 1);
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addLayout(left, 3);
  layout->addWidget(chart_view_, 2);
  connect(document_, &RunDocument::runReset, this, &CountersView::refresh_chart);
  connect(document_, &RunDocument::summaryChanged, this, &CountersView::refresh_chart);
  refresh_chart();
}

void CountersView::refresh_chart() {
  const RunSummary& s = document_->summary();
  const QLocale locale;
  QString text =
      tr("<b>%1</b>, profile %2: %3 instructions retired on the processor, %4 modeled "
         "cycles, %5 of them charged to events.")
          .arg(s.variant.isEmpty() ? tr("no run") : s.variant.toHtmlEscaped(),
               s.profile.toHtmlEscaped(), locale.toString(static_cast<qulonglong>(s.instructions)),
               locale.toString(static_cast<qulonglong>(s.cycles)),
               locale.toString(static_cast<qulonglong>(s.event_cycles)));
  for (const QString& w : s.workloads) text += QStringLiteral("<br>") + w.toHtmlEscaped();
  if (!s.stop.isEmpty())
    text += QStringLiteral("<br>") + tr("Stop: %1").arg(s.stop.toHtmlEscaped());
  summary_->setText(text);

  // Share of modeled time per class, largest first.
  std::array<uint64_t, kNumLanes> per_lane{};
  for (vmm::EventKind k : vmm::all_event_kinds()) {
    per_lane[index_of(lane_of(k))] += s.charged[vmm::index_of(k)];
  }
  std::vector<unsigned> order;
  for (unsigned l = 0; l < kNumLanes; ++l) {
    if (per_lane[l] != 0) order.push_back(l);
  }
  std::sort(order.begin(), order.end(),
            [&](unsigned a, unsigned b) { return per_lane[a] < per_lane[b]; });
  auto* chart = new QChart;
  chart->setTitle(tr("Share of modeled time charged to each event class"));
  chart->legend()->hide();
  auto* series = new QHorizontalBarSeries;
  auto* set = new QBarSet(tr("share"));
  QStringList categories;
  double top = 1;
  for (unsigned l : order) {
    const double share =
        s.cycles == 0 ? 0.0
                      : 100.0 * static_cast<double>(per_lane[l]) / static_cast<double>(s.cycles);
    *set << share;
    top = std::max(top, share);
    categories << QCoreApplication::translate("Lane", lane_name(static_cast<Lane>(l)));
  }
  set->setColor(QColor(0x00, 0x72, 0xB2));
  set->setLabelColor(Qt::black);
  series->append(set);
  series->setLabelsVisible(true);
  series->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
  series->setLabelsFormat(QStringLiteral("@value %"));
  series->setLabelsPrecision(3);
  chart->addSeries(series);
  auto* y = new QBarCategoryAxis;
  y->append(categories);
  chart->addAxis(y, Qt::AlignLeft);
  series->attachAxis(y);
  auto* x = new QValueAxis;
  // Ticks every 10 % (every 2 % below 10 %), with room for the labels past the bars.
  const double tick = top * 1.3 <= 10 ? 2.0 : 10.0;
  const double range = std::min(100.0, std::ceil(top * 1.3 / tick) * tick);
  x->setRange(0, range);
  x->setTickCount(static_cast<int>(range / tick) + 1);
  x->setLabelFormat(QStringLiteral("%.0f %%"));
  x->setTitleText(tr("% of modeled cycles"));
  chart->addAxis(x, Qt::AlignBottom);
  series->attachAxis(x);
  QChart* old = chart_view_->chart();
  chart_view_->setChart(chart);
  delete old;
}

}  // namespace vmlab::gui
