// EventSelection: the one selected event every view of the window shares, as KernelShark's
// graph and list follow one marker: the timeline, the event table and both rows of the
// aligned view select through it and show what it holds. An event is a run and its index
// in that run's store, so that selecting in the aligned view's window-run row selects the
// same event in the event table, and selecting in the other run's row selects there only.
#pragma once

#include <QObject>
#include <cstddef>
#include <optional>

namespace vmlab::gui {

class RunDocument;

class EventSelection : public QObject {
  Q_OBJECT
 public:
  explicit EventSelection(QObject* parent = nullptr) : QObject(parent) {}

  // Selects event `event` of `run` (nothing when it is out of the run's range).
  void select(const RunDocument* run, size_t event);
  void clear();
  const RunDocument* run() const { return run_; }
  std::optional<size_t> event() const { return event_; }
  // The selected event when it is one of `run`'s.
  std::optional<size_t> event_in(const RunDocument* run) const {
    return run != nullptr && run == run_ ? event_ : std::nullopt;
  }

 Q_SIGNALS:
  // The selection changed (select or clear, or its run was reset).
  void changed();

 private:
  void watch(const RunDocument* run);
  const RunDocument* run_ = nullptr;
  std::optional<size_t> event_;
  QMetaObject::Connection reset_, destroyed_;
};

}  // namespace vmlab::gui
