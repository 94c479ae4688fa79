// MigrationView: a live migration's pages per round (docs/migration.md) from the run's
// stats.json, as grouped bars: per pre-copy round the pages sent and the pages the guest
// dirtied while they went over, then stop-and-copy; the destination's pages received per
// round. The shape of Clark et al.'s writable-working-set figures: rounds that shrink
// towards the threshold, or level off at the set the guest keeps writing.
#pragma once

#include <QWidget>

#include "gui/run_document.h"

class QChart;
class QChartView;
class QLabel;

namespace vmlab::gui {

class MigrationView : public QWidget {
  Q_OBJECT
 public:
  explicit MigrationView(const RunDocument* document, QWidget* parent = nullptr);

  QString heading_text() const;
  QChart* chart() const;

 private:
  void rebuild();

  const RunDocument* document_;
  QLabel* heading_;
  QChartView* view_;
};

}  // namespace vmlab::gui
