#include "gui/run_document.h"

namespace vmlab::gui {

void RunDocument::reset(RunSummary summary, EventStore events, QStringList warnings) {
  summary_ = std::move(summary);
  store_ = std::move(events);
  index_.rebuild(store_);
  warnings_ = std::move(warnings);
  Q_EMIT runReset();
}

void RunDocument::append(std::span<const vmm::Event> events) {
  if (events.empty()) return;
  const auto first = static_cast<qsizetype>(store_.size());
  for (const vmm::Event& e : events) store_.append(e);
  index_.extend(store_);
  Q_EMIT eventsAppended(first, static_cast<qsizetype>(store_.size()) - 1);
}

void RunDocument::update_summary(const RunSummary& summary) {
  summary_ = summary;
  Q_EMIT summaryChanged();
}

}  // namespace vmlab::gui
