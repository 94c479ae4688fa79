#include "gui/event_selection.h"

#include "gui/run_document.h"

namespace vmlab::gui {

void EventSelection::select(const RunDocument* run, size_t event) {
  if (run == nullptr || event >= run->events().size()) return;
  if (run == run_ && event_ == event) return;
  if (run != run_) watch(run);
  event_ = event;
  Q_EMIT changed();
}

void EventSelection::clear() {
  if (run_ == nullptr && !event_) return;
  watch(nullptr);
  event_.reset();
  Q_EMIT changed();
}

void EventSelection::watch(const RunDocument* run) {
  disconnect(reset_);
  disconnect(destroyed_);
  run_ = run;
  if (run == nullptr) return;
  // Another run in the same document: its indices mean other events.
  reset_ = connect(run, &RunDocument::runReset, this, &EventSelection::clear);
  destroyed_ = connect(run, &QObject::destroyed, this, [this] {
    run_ = nullptr;
    event_.reset();
    Q_EMIT changed();
  });
}

}  // namespace vmlab::gui
