#include "gui/trace_load_job.h"

#include <QMetaObject>
#include <QPointer>

namespace vmlab::gui {

TraceLoadJob::TraceLoadJob(QString path, QObject* parent)
    : QObject(parent), path_(std::move(path)) {}

TraceLoadJob::~TraceLoadJob() {
  cancel();
  if (thread_.joinable()) thread_.join();
}

void TraceLoadJob::start() {
  if (running_ || thread_.joinable()) return;
  running_ = true;
  // Progress goes to the GUI thread as queued calls on this object: dropped if it is gone.
  control_.progress = [this](double done) {
    const int percent = static_cast<int>(done * 100);
    QMetaObject::invokeMethod(
        this, [this, percent] { Q_EMIT progressed(percent); }, Qt::QueuedConnection);
  };
  thread_ = std::thread([this] {
    auto loaded = load_run(path_, &control_);
    auto shared = std::make_shared<machine::Result<LoadedRun>>(std::move(loaded));
    QMetaObject::invokeMethod(
        this,
        [this, shared] {
          if (thread_.joinable()) thread_.join();
          running_ = false;
          result_.emplace(std::move(*shared));
          Q_EMIT finished();
        },
        Qt::QueuedConnection);
  });
}

void TraceLoadJob::cancel() {
  control_.cancel.store(true, std::memory_order_relaxed);
}

}  // namespace vmlab::gui
