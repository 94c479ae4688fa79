// RunDocument: the one run the window shows, opened from files or filled live: what the
// run was (mode, profile, arguments), what it measured (counters per event kind, modeled
// cycles, stop), and its events (EventStore) with the timeline's summary of them
// (TimelineIndex). Every view and model reads it; it tells them when it changes.
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "engine/vmm/core/event.h"
#include "gui/event_decoder.h"
#include "gui/event_store.h"
#include "gui/timeline_index.h"

namespace vmlab::gui {

class KernelImage;
class BtTranslations;

// What a live migration's stats.json says (docs/migration.md, "stats.json"): the pages
// per round, read defensively (a field missing or of another type reads as absent; fields
// the GUI does not know are ignored).
struct MigrationRound {
  QString label;                    // "0", "1", ..., "stop-and-copy"
  uint64_t pages = 0;               // sent (the source) or received (the destination)
  std::optional<uint64_t> dirtied;  // dirtied while the round went over (the source)
  std::optional<uint64_t> start_cycle, cycles;
};
struct MigrationSummary {
  bool present = false;  // stats.json has a "migration" object
  QString role;          // "source" or "destination"
  std::optional<bool> completed;
  QString failure, stop_reason;
  std::vector<MigrationRound> rounds;  // stop-and-copy last (its dirtied: none)
  std::optional<uint64_t> total_pages, total_bytes, downtime_cycles, migrated_at_cycle,
      resumed_at_cycle, threshold_pages;
};

struct RunSummary {
  QString source;   // the run directory or file, or "live"
  QString mode;     // mode name as vmlab prints it ("trap")
  QString variant;  // the mode as the GUI lists it ("trap VT + NPT")
  QString profile;
  QStringList arguments;
  QString kernel;
  uint64_t cpu_mhz = 0;
  // Instructions retired on the processor (stats.json's "instructions"): under bt those of
  // the translated code; under the trap modes without the ones the monitor emulates.
  uint64_t instructions = 0;
  uint64_t cycles = 0;
  uint64_t event_cycles = 0;
  std::array<uint64_t, vmm::kNumEventKinds> count{};
  std::array<uint64_t, vmm::kNumEventKinds> charged{};
  bool have_counters = false;
  QString stop;  // stop reason and message, empty while running
  uint64_t trace_dropped = 0;
  QStringList workloads;  // the guest's result lines, one per workload
  DecodeContext decode;
  // The kernel's code, for the instruction at an event's EIP (gui/kernel_image.h); when
  // null, image_note says why.
  std::shared_ptr<const KernelImage> image;
  QString image_note;
  // bt: the translations the run made (translations.jsonl, gui/bt_translations.h), for an
  // event's translated code; when null under bt, translations_note says why.
  std::shared_ptr<const BtTranslations> translations;
  QString translations_note;
  // A live migration's figures, when stats.json has them.
  MigrationSummary migration;

  // Every event recorded since boot, as the counter table's total (the trace and the
  // timeline begin after the kernel load, so they may hold a few fewer).
  uint64_t events_since_boot() const {
    uint64_t n = 0;
    for (uint64_t c : count) n += c;
    return n;
  }
};

class RunDocument : public QObject {
  Q_OBJECT
 public:
  explicit RunDocument(QObject* parent = nullptr) : QObject(parent) {}

  const RunSummary& summary() const { return summary_; }
  const EventStore& events() const { return store_; }
  const TimelineIndex& index() const { return index_; }
  const QStringList& warnings() const { return warnings_; }

  // Replaces everything (a file opened, a live run started).
  void reset(RunSummary summary, EventStore events, QStringList warnings = {});
  // A live run's progress: new events (in seq order) and the counters so far.
  void append(std::span<const vmm::Event> events);
  void update_summary(const RunSummary& summary);

 Q_SIGNALS:
  void runReset();
  void eventsAppended(qsizetype first, qsizetype last);  // store indices, inclusive
  void summaryChanged();

 private:
  RunSummary summary_;
  EventStore store_;
  TimelineIndex index_;
  QStringList warnings_;
};

}  // namespace vmlab::gui
