// Opens what `vmlab run --out DIR [--trace]` writes (docs/trace-format.md): config.json,
// stats.json and trace.jsonl (or, without it, trace.json), or a trace.jsonl or a Chrome /
// Perfetto trace.json on its own. Whatever is missing or malformed
// comes back as one message naming the file, the line and what is wrong, for the window to
// show; nothing a file holds can crash the GUI.
#pragma once

#include <QString>
#include <QStringList>
#include <atomic>
#include <functional>

#include <cerrno>

#include "engine/machine/result.h"
#include "gui/event_store.h"
#include "gui/run_document.h"

namespace vmlab::gui {

struct LoadedRun {
  RunSummary summary;
  EventStore events;
  QStringList warnings;  // what is missing but not fatal (no trace.jsonl: run without --trace)
};

// What a load in the background (TraceLoadJob) is told and tells: a cancel flag it polls,
// and its progress (0..1, the share of the trace's bytes read), reported about a hundred
// times per trace. Both optional; on the loading thread.
struct LoadControl {
  std::atomic<bool> cancel{false};
  std::function<void(double)> progress;
};

// The error code of a load that `control->cancel` stopped.
inline constexpr int kLoadCancelled = ECANCELED;

machine::Result<LoadedRun> load_run(const QString& path, LoadControl* control = nullptr);

// Reads trace.jsonl into `events`; an error names the line.
machine::Result<void> load_trace_jsonl(const QString& file, EventStore& events,
                                       LoadControl* control = nullptr);
// Reads a trace.json (Chrome trace-event format, as vmlab writes it) into `events`.
machine::Result<void> load_trace_json(const QString& file, EventStore& events,
                                      LoadControl* control = nullptr);

// The variant name the GUI lists for a mode and its options ("trap VT + NPT").
QString variant_name(const QString& mode, const QStringList& arguments);

}  // namespace vmlab::gui
