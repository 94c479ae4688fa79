#include "gui/run_loader.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>

#include "gui/bt_translations.h"
#include "gui/kernel_image.h"
#include "gui/trace_file_reader.h"
#include "gui/trace_line_parser.h"

namespace vmlab::gui {

namespace {

machine::Error error(const QString& message, int code = EINVAL) {
  return machine::Error{message.toStdString(), code};
}

machine::Result<QJsonObject> read_json(const QString& file) {
  QFile f(file);
  if (!f.open(QIODevice::ReadOnly)) {
    return error(
        QCoreApplication::translate("RunLoader", "%1: cannot read (%2)").arg(file, f.errorString()),
        ENOENT);
  }
  QJsonParseError parse{};
  const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &parse);
  if (parse.error != QJsonParseError::NoError) {
    return error(QCoreApplication::translate("RunLoader", "%1: not valid JSON at byte %2: %3")
                     .arg(file)
                     .arg(parse.offset)
                     .arg(parse.errorString()));
  }
  if (!doc.isObject())
    return error(QCoreApplication::translate("RunLoader", "%1: not a JSON object").arg(file));
  return doc.object();
}

uint64_t u64(const QJsonValue& v) {
  return v.isDouble() && v.toDouble() >= 0 ? static_cast<uint64_t>(v.toDouble()) : 0;
}

machine::Result<void> read_config(const QString& file, RunSummary& s) {
  auto json = read_json(file);
  if (!json) return json.error();
  const QJsonObject& c = json.value();
  if (c.value(QStringLiteral("schema")).toString() != QStringLiteral("vmlab-config/1")) {
    return error(QCoreApplication::translate(
                     "RunLoader", "%1: not a vmlab config (schema \"%2\", expected vmlab-config/1)")
                     .arg(file, c.value(QStringLiteral("schema")).toString()));
  }
  s.mode = c.value(QStringLiteral("mode")).toString();
  for (const QJsonValue& a : c.value(QStringLiteral("arguments")).toArray()) {
    s.arguments << a.toString();
  }
  s.kernel = c.value(QStringLiteral("kernel")).toObject().value(QStringLiteral("path")).toString();
  // The instruction at an event's EIP comes from the kernel, if it is still the same file.
  const QString sha =
      c.value(QStringLiteral("kernel")).toObject().value(QStringLiteral("sha256")).toString();
  if (s.kernel.isEmpty()) {
    s.image_note = QCoreApplication::translate("RunLoader", "config.json names no kernel");
  } else if (auto image = KernelImage::load(s.kernel, sha, QFileInfo(file).absolutePath()); image) {
    s.image = std::make_shared<const KernelImage>(std::move(image.value()));
  } else {
    s.image_note = QString::fromStdString(image.error().message);
  }
  s.cpu_mhz = u64(c.value(QStringLiteral("cpu_mhz")));
  s.profile =
      c.value(QStringLiteral("profile")).toObject().value(QStringLiteral("name")).toString();
  s.variant = variant_name(s.mode, s.arguments);
  s.decode.vt_exits =
      s.mode == QStringLiteral("trap") && !s.variant.contains(QStringLiteral("classic"));
  return {};
}

// A non-negative integer, or nothing when `v` is not one.
std::optional<uint64_t> count_of(const QJsonValue& v) {
  if (!v.isDouble()) return std::nullopt;
  const double d = v.toDouble();
  if (!(d >= 0) || d > 9.0e15 || d != std::floor(d)) return std::nullopt;
  return static_cast<uint64_t>(d);
}

// stats.json's "migration" (docs/migration.md): whatever of it is there and well typed.
void read_migration(const QJsonValue& value, MigrationSummary& m) {
  if (!value.isObject()) return;
  const QJsonObject o = value.toObject();
  m.present = true;
  m.role = o.value(QStringLiteral("role")).toString();
  if (o.value(QStringLiteral("completed")).isBool()) {
    m.completed = o.value(QStringLiteral("completed")).toBool();
  }
  m.failure = o.value(QStringLiteral("failure")).toString();
  m.stop_reason = o.value(QStringLiteral("stop_reason")).toString();
  m.total_pages = count_of(o.value(QStringLiteral("total_pages")));
  if (!m.total_pages) m.total_pages = count_of(o.value(QStringLiteral("pages_received")));
  m.total_bytes = count_of(o.value(QStringLiteral("total_bytes")));
  if (!m.total_bytes) m.total_bytes = count_of(o.value(QStringLiteral("bytes_received")));
  m.downtime_cycles = count_of(o.value(QStringLiteral("downtime_cycles")));
  m.migrated_at_cycle = count_of(o.value(QStringLiteral("migrated_at_cycle")));
  m.resumed_at_cycle = count_of(o.value(QStringLiteral("resumed_at_cycle")));
  m.threshold_pages = count_of(o.value(QStringLiteral("threshold_pages")));
  const QJsonArray rounds = o.value(QStringLiteral("rounds")).toArray();
  for (qsizetype i = 0; i < rounds.size(); ++i) {
    const QJsonObject r = rounds[i].toObject();
    // The source's rounds count pages sent, the destination's pages received.
    auto pages = count_of(r.value(QStringLiteral("pages_sent")));
    if (!pages) pages = count_of(r.value(QStringLiteral("pages")));
    if (!pages) continue;  // not a round the GUI can plot
    MigrationRound round;
    const auto number = count_of(r.value(QStringLiteral("round")));
    round.label = QString::number(number ? *number : static_cast<uint64_t>(i));
    round.pages = *pages;
    round.dirtied = count_of(r.value(QStringLiteral("pages_dirtied")));
    round.start_cycle = count_of(r.value(QStringLiteral("start_cycle")));
    round.cycles = count_of(r.value(QStringLiteral("cycles")));
    m.rounds.push_back(round);
  }
  // The destination lists stop-and-copy as its last round; the source gives it apart.
  if (m.role == QStringLiteral("destination")) {
    if (!m.rounds.empty() && m.completed.value_or(true)) {
      m.rounds.back().label = QCoreApplication::translate("RunLoader", "stop-and-copy");
    }
  } else if (const auto last = count_of(o.value(QStringLiteral("stop_copy_pages")))) {
    MigrationRound round;
    round.label = QCoreApplication::translate("RunLoader", "stop-and-copy");
    round.pages = *last;
    round.cycles = m.downtime_cycles;
    m.rounds.push_back(round);
  }
}

machine::Result<void> read_stats(const QString& file, RunSummary& s) {
  auto json = read_json(file);
  if (!json) return json.error();
  const QJsonObject& st = json.value();
  if (st.value(QStringLiteral("schema")).toString() != QStringLiteral("vmlab-stats/1")) {
    return error(QCoreApplication::translate(
                     "RunLoader", "%1: not vmlab stats (schema \"%2\", expected vmlab-stats/1)")
                     .arg(file, st.value(QStringLiteral("schema")).toString()));
  }
  s.instructions = u64(st.value(QStringLiteral("instructions")));
  s.cycles = u64(st.value(QStringLiteral("cycles")));
  s.event_cycles = u64(st.value(QStringLiteral("event_cycles")));
  const QJsonObject events = st.value(QStringLiteral("events")).toObject();
  for (auto it = events.begin(); it != events.end(); ++it) {
    const QJsonObject e = it.value().toObject();
    const uint64_t id = u64(e.value(QStringLiteral("id")));
    if (id == 0 || id >= vmm::kNumEventKinds) continue;
    s.count[id] = u64(e.value(QStringLiteral("count")));
    s.charged[id] = u64(e.value(QStringLiteral("cycles")));
  }
  s.have_counters = true;
  const QJsonObject stop = st.value(QStringLiteral("stop")).toObject();
  s.stop = QStringLiteral("%1: %2").arg(stop.value(QStringLiteral("reason")).toString(),
                                        stop.value(QStringLiteral("message")).toString());
  s.trace_dropped =
      u64(st.value(QStringLiteral("trace")).toObject().value(QStringLiteral("dropped")));
  read_migration(st.value(QStringLiteral("migration")), s.migration);
  for (const QJsonValue& w : st.value(QStringLiteral("workloads")).toArray()) {
    const QJsonObject o = w.toObject();
    s.workloads << QCoreApplication::translate("RunLoader",
                                               "%1: %2 cycles/iteration over %3 iterations")
                       .arg(o.value(QStringLiteral("workload")).toString())
                       .arg(o.value(QStringLiteral("cycles_per_iter")).toDouble())
                       .arg(u64(o.value(QStringLiteral("iters"))));
  }
  return {};
}

}  // namespace

QString variant_name(const QString& mode, const QStringList& arguments) {
  if (mode == QStringLiteral("trap")) {
    const qsizetype cpu = arguments.indexOf(QStringLiteral("--cpu"));
    if (cpu >= 0 && cpu + 1 < arguments.size() && arguments[cpu + 1] == QStringLiteral("classic")) {
      return QStringLiteral("trap classic");
    }
    if (arguments.contains(QStringLiteral("--npt"))) return QStringLiteral("trap VT + NPT");
    return QStringLiteral("trap VT");
  }
  return mode;
}

namespace {

// Reads `file` (plain or gzip: TraceFileReader) line by line, calling `take(line, number)`
// for each (false stops with the error it set); polls the cancel flag and reports progress
// every 4096 lines.
template <typename Take>
machine::Result<void> read_lines(const QString& file, LoadControl* control, Take take) {
  auto reader = TraceFileReader::open(file);
  if (!reader) return reader.error();
  TraceFileReader& in = *reader.value();
  std::string line;
  double reported = -1;
  while (in.next(line)) {
    const uint64_t number = in.lines();
    if (control != nullptr && number % 4096 == 0) {
      if (control->cancel.load(std::memory_order_relaxed)) {
        return error(QCoreApplication::translate("RunLoader", "%1: loading cancelled").arg(file),
                     kLoadCancelled);
      }
      const double done = in.progress();
      if (control->progress && done - reported >= 0.01) {
        control->progress(done);
        reported = done;
      }
    }
    if (auto r = take(line, number); !r) {
      // Damaged compressed data can inflate to text that breaks a line long before zlib
      // sees the damage (at the latest, the CRC at the end): a gzip file's own error, if it
      // has one, is the cause to name.
      if (in.compressed()) {
        while (in.next(line) &&
               (control == nullptr || !control->cancel.load(std::memory_order_relaxed))) {
        }
        if (!in.error().isEmpty()) return error(in.error());
      }
      return r;
    }
  }
  if (!in.error().isEmpty()) return error(in.error());
  if (control != nullptr && control->progress) control->progress(1.0);
  return {};
}

machine::Result<void> line_error(const QString& file, uint64_t number, const std::string& why) {
  return error(QCoreApplication::translate("RunLoader", "%1, line %2: %3")
                   .arg(file)
                   .arg(number)
                   .arg(QString::fromStdString(why)));
}

// Events must come in seq order with non-decreasing cycles, as vmlab writes them.
machine::Result<void> append_in_order(const QString& file, uint64_t number, const vmm::Event& event,
                                      EventStore& events) {
  if (!events.empty() && (event.seq <= events.seq(events.size() - 1) ||
                          event.cycle < events.cycle(events.size() - 1))) {
    return error(QCoreApplication::translate("RunLoader",
                                             "%1, line %2: events out of order (seq %3 after %4)")
                     .arg(file)
                     .arg(number)
                     .arg(event.seq)
                     .arg(events.seq(events.size() - 1)));
  }
  events.append(event);
  return {};
}

// A trace.json, by its first bytes (vmlab's starts with its header object), plain or gzip.
bool is_chrome_trace(const QString& file) {
  auto reader = TraceFileReader::open(file);
  std::string head;
  if (!reader || !reader.value()->next(head)) return false;
  return head.starts_with("{\"displayTimeUnit\"") || head.starts_with("{\"traceEvents\"");
}

}  // namespace

machine::Result<void> load_trace_jsonl(const QString& file, EventStore& events,
                                       LoadControl* control) {
  std::string why;
  vmm::Event event{};
  return read_lines(file, control,
                    [&](const std::string& line, uint64_t number) -> machine::Result<void> {
                      if (line.empty()) return {};
                      if (!parse_trace_line(line, event, why)) {
                        return line_error(file, number, why);
                      }
                      return append_in_order(file, number, event, events);
                    });
}

machine::Result<void> load_trace_json(const QString& file, EventStore& events,
                                      LoadControl* control) {
  // vmlab's layout (engine/vmm/trace/chrome_trace_writer.cpp): the header line, one event a
  // line, then "]}". Anything else is not a trace this reads, named with its line.
  std::string why;
  vmm::Event event{};
  bool header = false, closed = false;
  auto r = read_lines(file, control,
                      [&](const std::string& raw, uint64_t number) -> machine::Result<void> {
                        std::string_view line(raw);
                        while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
                          line.remove_suffix(1);
                        if (line.empty()) return {};
                        if (closed) return line_error(file, number, "text after the closing ]}");
                        if (!header) {
                          if (line != R"({"displayTimeUnit":"ns","traceEvents":[)") {
                            return line_error(file, number,
                                              "not a vmlab trace.json (expected its header, "
                                              "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[)");
                          }
                          header = true;
                          return {};
                        }
                        if (line == "]}") {
                          closed = true;
                          return {};
                        }
                        switch (parse_chrome_trace_line(line, event, why)) {
                          case ChromeLine::kMetadata: return {};
                          case ChromeLine::kError: return line_error(file, number, why);
                          case ChromeLine::kEvent: break;
                        }
                        return append_in_order(file, number, event, events);
                      });
  if (!r) return r;
  if (!header) {
    return error(QCoreApplication::translate("RunLoader", "%1: empty, not a trace").arg(file));
  }
  if (!closed) {
    return error(
        QCoreApplication::translate(
            "RunLoader", "%1: truncated (no closing ]}: the run did not finish writing it)")
            .arg(file));
  }
  return {};
}

machine::Result<LoadedRun> load_run(const QString& path, LoadControl* control) {
  LoadedRun run;
  run.summary.source = path;
  const QFileInfo info(path);
  if (!info.exists())
    return error(
        QCoreApplication::translate("RunLoader", "%1: no such file or directory").arg(path),
        ENOENT);
  if (info.isFile()) {
    // A trace on its own: events without the run's counters.
    if (auto r = is_chrome_trace(path) ? load_trace_json(path, run.events, control)
                                       : load_trace_jsonl(path, run.events, control);
        !r) {
      return r.error();
    }
    run.warnings << QCoreApplication::translate("RunLoader",
                                                "%1: a trace without config.json and stats.json; "
                                                "counters are counted from the trace")
                        .arg(path);
  } else {
    const QDir dir(path);
    const QString config = dir.filePath(QStringLiteral("config.json"));
    if (!QFileInfo::exists(config)) {
      return error(QCoreApplication::translate(
                       "RunLoader",
                       "%1: not a vmlab run directory (no config.json; make one with "
                       "vmlab run --out DIR --trace)")
                       .arg(path),
                   ENOENT);
    }
    if (auto r = read_config(config, run.summary); !r) return r.error();
    const QString stats = dir.filePath(QStringLiteral("stats.json"));
    if (QFileInfo::exists(stats)) {
      if (auto r = read_stats(stats, run.summary); !r) return r.error();
    } else {
      run.warnings << QCoreApplication::translate(
                          "RunLoader", "%1: missing; counters are counted from the trace")
                          .arg(stats);
    }
    // bt: the translations the run made, for an event's translated code. A damaged file
    // costs only that (the note says why), not the run.
    if (run.summary.mode == QStringLiteral("bt")) {
      const QString file = dir.filePath(QStringLiteral("translations.jsonl"));
      if (!QFileInfo::exists(file)) {
        run.summary.translations_note =
            QCoreApplication::translate("RunLoader", "the run directory has no translations.jsonl");
      } else if (auto t = BtTranslations::load(file); t) {
        run.summary.translations = std::make_shared<const BtTranslations>(std::move(t.value()));
      } else {
        run.summary.translations_note = QString::fromStdString(t.error().message);
        run.warnings << run.summary.translations_note;
      }
    }
    // The first trace there is, plain before gzip (--trace-gzip), trace.jsonl before
    // trace.json (the same events).
    bool traced = false;
    for (const char* name : {"trace.jsonl", "trace.json", "trace.jsonl.gz", "trace.json.gz"}) {
      const QString trace = dir.filePath(QString::fromLatin1(name));
      if (!QFileInfo::exists(trace)) continue;
      const std::string_view n(name);
      const bool json = n == "trace.json" || n == "trace.json.gz";
      if (auto r = json ? load_trace_json(trace, run.events, control)
                        : load_trace_jsonl(trace, run.events, control);
          !r) {
        return r.error();
      }
      traced = true;
      break;
    }
    if (!traced) {
      run.warnings << QCoreApplication::translate(
                          "RunLoader",
                          "%1: no trace.jsonl (the run was made without --trace): "
                          "counters only, no timeline")
                          .arg(path);
    }
  }
  if (!run.summary.have_counters) {
    for (size_t i = 0; i < run.events.size(); ++i) {
      const auto k = vmm::index_of(run.events.kind(i));
      ++run.summary.count[k];
      run.summary.charged[k] += run.events.charged(i);
      run.summary.event_cycles += run.events.charged(i);
    }
    run.summary.cycles = run.events.end_cycle();
    run.summary.have_counters = true;
  }
  if (run.summary.trace_dropped != 0) {
    run.warnings << QCoreApplication::translate(
                        "RunLoader",
                        "the trace holds the first %1 events; %2 more were dropped "
                        "(vmlab run --trace-limit)")
                        .arg(run.events.size())
                        .arg(run.summary.trace_dropped);
  }
  return run;
}

}  // namespace vmlab::gui
