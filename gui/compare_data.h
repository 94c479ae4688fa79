// CompareData: the results of `vmlab compare --format json` (schema vmlab-compare/1; the
// CLI's runner makes them, the GUI reads them rather than running a second copy of it):
// per workload and mode, cycles per operation, ratio to native, events per operation.
#pragma once

#include <QMap>
#include <QString>
#include <QStringList>
#include <vector>

#include "engine/machine/result.h"

namespace vmlab::gui {

struct CompareResult {
  QString workload;
  QString mode;  // native, trap, trap-npt, trap-classic, bt, pv
  bool ok = false;
  // A cell that did not run: skipped (the guest said it cannot run the workload here, e.g. a
  // disk workload without a usable file system: no failure) or failed; `reason` is the
  // guest's reason or the error, as vmlab compare's JSON gives them.
  bool skipped = false;
  QString reason;
  double cycles_per_op = 0;
  double ratio_to_native = 0;
  double instructions_per_op = 0;
  double modeled_cycles_per_op = 0;           // the whole machine's, by difference
  QMap<QString, double> events_per_op;        // by event kind name
  QMap<QString, double> event_cycles_per_op;  // cycles charged, by event kind name
};

struct CompareData {
  QString profile;
  QStringList workloads;  // in first-seen order
  QStringList modes;      // in first-seen order
  std::vector<CompareResult> results;
  const CompareResult* find(const QString& workload, const QString& mode) const;
  // Comma-separated values, one row per result, for a spreadsheet (a skipped cell has
  // skipped=true and its reason, as vmlab compare's CSV has a skipped column).
  QString to_csv() const;
  // The cells that did not run, one line each ("diskread under pv: skipped: REASON").
  QStringList skipped_cells() const;
  QStringList failed_cells() const;
};

machine::Result<CompareData> parse_compare_json(const QByteArray& json);
machine::Result<CompareData> load_compare_json(const QString& file);

}  // namespace vmlab::gui
