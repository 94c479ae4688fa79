#include "gui/migration_view.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QLabel>
#include <QLocale>
#include <QPainter>
#include <QVBoxLayout>
#include <QValueAxis>

namespace vmlab::gui {

MigrationView::MigrationView(const RunDocument* document, QWidget* parent)
    : QWidget(parent), document_(document) {
  heading_ = new QLabel;
  heading_->setWordWrap(true);
  heading_->setTextFormat(Qt::RichText);
  heading_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  heading_->setContentsMargins(6, 6, 6, 6);
  view_ = new QChartView;
  view_->setRenderHint(QPainter::Antialiasing);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addWidget(heading_);
  layout->addWidget(view_, 1);
  connect(document_, &RunDocument::runReset, this, &MigrationView::rebuild);
  connect(document_, &RunDocument::summaryChanged, this, &MigrationView::rebuild);
  rebuild();
}

QString MigrationView::heading_text() const {
  return heading_->text();
}

QChart* MigrationView::chart() const {
  return view_->chart();
}

void MigrationView::rebuild() {
  const MigrationSummary& m = document_->summary().migration;
  const QLocale locale;
  auto number = [&](uint64_t n) { return locale.toString(static_cast<qulonglong>(n)); };
  auto* chart = new QChart;
  chart->legend()->setAlignment(Qt::AlignTop);
  if (!m.present) {
    heading_->setText(
        tr("This run was not migrated: its stats.json has no migration. Open the run "
           "directory of either side of a live migration (vmlab run --out DIR --migrate-to, or "
           "vmlab migrate-listen --out DIR; docs/migration.md) to see its pages per round."));
  } else {
    const bool destination = m.role == QStringLiteral("destination");
    QStringList facts;
    facts << (destination ? tr("<b>Live migration, destination side</b>")
                          : tr("<b>Live migration, source side</b>"));
    if (m.completed && !*m.completed) {
      facts << tr("<span style='color:#b00020'>not completed: %1</span>")
                   .arg(m.failure.toHtmlEscaped());
    }
    if (!m.stop_reason.isEmpty()) {
      facts << tr("pre-copy stopped: %1").arg(m.stop_reason.toHtmlEscaped());
    }
    if (m.threshold_pages) facts << tr("threshold %1 pages").arg(number(*m.threshold_pages));
    if (m.total_pages) facts << tr("%1 pages in all").arg(number(*m.total_pages));
    if (m.total_bytes) facts << tr("%1 bytes").arg(number(*m.total_bytes));
    if (m.downtime_cycles) {
      facts << tr("downtime %1 modeled cycles").arg(number(*m.downtime_cycles));
    }
    if (m.migrated_at_cycle) facts << tr("paused at cycle %1").arg(number(*m.migrated_at_cycle));
    if (m.resumed_at_cycle) facts << tr("resumed at cycle %1").arg(number(*m.resumed_at_cycle));
    if (m.rounds.empty()) facts << tr("no rounds in stats.json");
    heading_->setText(facts.join(QStringLiteral(" · ")));

    auto* series = new QBarSeries;
    auto* sent = new QBarSet(destination ? tr("pages received") : tr("pages sent"));
    sent->setColor(QColor(0x00, 0x72, 0xB2));
    bool any_dirtied = false;
    for (const MigrationRound& r : m.rounds) any_dirtied = any_dirtied || r.dirtied.has_value();
    QBarSet* dirtied = nullptr;
    if (any_dirtied) {
      dirtied = new QBarSet(tr("pages dirtied while the round went over"));
      dirtied->setColor(QColor(0xD5, 0x5E, 0x00));
    }
    QStringList categories;
    double top = 0;
    for (const MigrationRound& r : m.rounds) {
      categories << r.label;
      *sent << static_cast<double>(r.pages);
      top = std::max(top, static_cast<double>(r.pages));
      if (dirtied != nullptr) {
        *dirtied << static_cast<double>(r.dirtied.value_or(0));
        top = std::max(top, static_cast<double>(r.dirtied.value_or(0)));
      }
    }
    sent->setLabelColor(Qt::black);
    series->append(sent);
    if (dirtied != nullptr) {
      dirtied->setLabelColor(Qt::black);
      series->append(dirtied);
    }
    series->setLabelsVisible(true);
    series->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
    series->setLabelsPrecision(10);
    chart->addSeries(series);
    chart->setTitle(destination ? tr("Pages received per round (stop-and-copy last)")
                                : tr("Pages per pre-copy round, then stop-and-copy"));
    auto* x = new QBarCategoryAxis;
    x->append(categories);
    x->setTitleText(tr("round"));
    chart->addAxis(x, Qt::AlignBottom);
    series->attachAxis(x);
    auto* y = new QValueAxis;
    y->setLabelFormat(QStringLiteral("%d"));
    y->setRange(0, top > 0 ? top * 1.15 : 1);
    y->applyNiceNumbers();
    y->setTitleText(tr("pages (4 KiB)"));
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(y);
  }
  QChart* old = view_->chart();
  view_->setChart(chart);
  delete old;
}

}  // namespace vmlab::gui
