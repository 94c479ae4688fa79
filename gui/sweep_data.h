// SweepData: the results of `vmlab sweep --out DIR` (docs/sweep.md) as the compare view
// shows them: DIR/results.json (schema vmlab-sweep/1, every cell in cell order, with why a
// cell was skipped or failed) and, per measured cell, its DIR/cells/NAME/result.json
// (the events per operation the combined file leaves out). A sweep has one more dimension
// than `vmlab compare`: the profile and the --cost override set. Each of its values (a
// "configuration") is one workloads x modes comparison (compare_for), with the ratio to
// native taken from the same configuration's native cell.
#pragma once

#include <QMap>
#include <QString>
#include <QStringList>
#include <cstdint>
#include <utility>
#include <vector>

#include "engine/machine/result.h"
#include "gui/compare_data.h"

namespace vmlab::gui {

struct SweepCell {
  QString name;  // "0003-pv-syscall-pentium4-c1": its folder under DIR/cells
  QString mode;  // a variant name: native, trap, trap-npt, trap-classic, bt, pv
  QString workload;
  QString args;  // more words for the guest's command line ("child_touch=22 ...")
  uint64_t iters = 0;
  QString profile;
  std::vector<std::pair<QString, qint64>> costs;  // the --cost overrides, in key order
  bool ok = false;
  bool skipped = false;
  QString reason;  // a skipped cell's reason, a failed cell's error
  double cycles_per_op = 0;
  double modeled_cycles_per_op = 0;
  double instructions_per_op = 0;
  QMap<QString, double> events_per_op;  // from the cell's result.json

  // The workload as the charts name it: the name, with its arguments when it has any.
  QString workload_label() const;
  // "pentium4" or "pentium4 + trap=1000 vt.entry=0".
  QString configuration() const;
};

struct SweepData {
  QString dir;   // the sweep's folder
  QString disk;  // grid.json's disk as it gives it, empty for a fresh vmlabfs per boot
  std::vector<SweepCell> cells;  // in cell order
  QStringList configurations;    // profile (+ cost set), in first-seen (cell) order
  QStringList warnings;          // cell files that could not be read

  // The folder of cell `name`: DIR/cells/NAME.
  QString cell_dir(const QString& name) const;
  // Configuration `index` as a workloads x modes comparison (CompareData::profile names it).
  CompareData compare_for(qsizetype index) const;
  // The cell of a configuration, workload label and mode; nullptr when the grid has none.
  const SweepCell* find(qsizetype configuration, const QString& workload_label,
                        const QString& mode) const;
  size_t count_ok() const;
  size_t count_skipped() const;
  size_t count_failed() const;
};

// Whether `dir` looks like a sweep's folder (its results.json or grid.json and cells/).
bool is_sweep_dir(const QString& dir);
// Reads a sweep's folder; an error names the file and what is wrong (no results.json: the
// sweep has not combined its cells yet, with the command that does).
machine::Result<SweepData> load_sweep(const QString& dir);

}  // namespace vmlab::gui
