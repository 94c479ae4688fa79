// Opens what `vmlab run --out DIR [--trace]` writes (docs/trace-format.md): config.json,
// stats.json and trace.jsonl, or a trace.jsonl on its own. Whatever is missing or malformed
// comes back as one message naming the file, the line and what is wrong, for the window to
// show; nothing a file holds can crash the GUI.
#pragma once

#include <QString>
#include <QStringList>

#include "engine/machine/result.h"
#include "gui/event_store.h"
#include "gui/run_document.h"

namespace vmlab::gui {

struct LoadedRun {
  RunSummary summary;
  EventStore events;
  QStringList warnings;  // what is missing but not fatal (no trace.jsonl: run without --trace)
};

machine::Result<LoadedRun> load_run(const QString& path);

// Reads trace.jsonl into `events`; an error names the line.
machine::Result<void> load_trace_jsonl(const QString& file, EventStore& events);

// The variant name the GUI lists for a mode and its options ("trap VT + NPT").
QString variant_name(const QString& mode, const QStringList& arguments);

}  // namespace vmlab::gui
