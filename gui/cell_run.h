// CellRun: the run directory of one sweep cell, for its events and timeline. A sweep keeps
// a cell's measurement, not its events (a trace per cell would be most of the sweep's
// disk); a double-click on a cell in the compare view records it the first time: `vmlab
// run` with the cell's mode, workload, arguments, iterations, profile and cost overrides
// (N iterations: the first of the cell's two boots) into DIR/cells/NAME/run with --trace,
// in a child process, so the GUI's event loop keeps turning (no nested loop). Later
// double-clicks open the folder it left.
#pragma once

#include <QObject>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <memory>

#include "gui/sweep_data.h"

namespace vmlab::gui {

// The vmlab executable the GUI runs: $VMLAB_CLI, else `vmlab` beside vmlab-gui (installed),
// else <build>/cli/vmlab (the build tree), else `vmlab` on PATH.
QString vmlab_executable();
// `vmlab run`'s arguments for `cell` into `out` (disk: the image for a disk workload, empty
// for vmlab's own scratch vmlabfs).
QStringList cell_run_arguments(const SweepCell& cell, const QString& kernel, const QString& out,
                               const QString& disk = {});
// Where a cell's run directory is: DIR/cells/NAME/run.
QString cell_run_dir(const SweepData& sweep, const SweepCell& cell);

class CellRun : public QObject {
  Q_OBJECT
 public:
  // Starts recording `cell` of `sweep` (finished comes later, from the event loop).
  CellRun(const SweepData& sweep, const SweepCell& cell, QObject* parent = nullptr);
  ~CellRun() override;
  const QString& out() const { return out_; }
  const QString& cell() const { return cell_; }

 Q_SIGNALS:
  // ok: `out` holds the run; else `error` says why (vmlab's own message).
  void finished(bool ok, const QString& error);

 private:
  void done(int code, QProcess::ExitStatus status);
  QProcess process_;
  QString out_;
  QString cell_;
  QString disk_copy_;
};

}  // namespace vmlab::gui
