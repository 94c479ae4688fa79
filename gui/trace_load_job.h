// TraceLoadJob: a run directory or trace opened on a worker thread, so that the window
// stays responsive while a large trace loads (a million-event trace.json is hundreds of
// megabytes). The job reports its progress about a hundred times (progressed, queued to
// the GUI thread, never once per event) and can be cancelled; finished() comes once, on
// the GUI thread, with the run or the reason it did not load (a cancelled load's error
// code is kLoadCancelled). Destroying the job cancels it and waits for the thread.
#pragma once

#include <QObject>
#include <QString>
#include <memory>
#include <optional>
#include <thread>

#include "gui/run_loader.h"

namespace vmlab::gui {

class TraceLoadJob : public QObject {
  Q_OBJECT
 public:
  explicit TraceLoadJob(QString path, QObject* parent = nullptr);
  ~TraceLoadJob() override;

  const QString& path() const { return path_; }
  void start();
  void cancel();
  bool running() const { return running_; }
  // After finished(): the result (moved out by the receiver).
  std::optional<machine::Result<LoadedRun>>& result() { return result_; }

 Q_SIGNALS:
  void progressed(int percent);
  void finished();

 private:
  QString path_;
  LoadControl control_;
  std::thread thread_;
  bool running_ = false;
  std::optional<machine::Result<LoadedRun>> result_;
};

}  // namespace vmlab::gui
