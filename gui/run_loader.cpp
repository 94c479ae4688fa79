#include "gui/run_loader.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <fstream>
#include <string>

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
  s.cpu_mhz = u64(c.value(QStringLiteral("cpu_mhz")));
  s.profile =
      c.value(QStringLiteral("profile")).toObject().value(QStringLiteral("name")).toString();
  s.variant = variant_name(s.mode, s.arguments);
  s.decode.vt_exits =
      s.mode == QStringLiteral("trap") && !s.variant.contains(QStringLiteral("classic"));
  return {};
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

machine::Result<void> load_trace_jsonl(const QString& file, EventStore& events) {
  std::ifstream in(QFile::encodeName(file).toStdString(), std::ios::binary);
  if (!in)
    return error(QCoreApplication::translate("RunLoader", "%1: cannot read").arg(file), ENOENT);
  std::string line;
  std::string why;
  uint64_t number = 0;
  vmm::Event event{};
  uint64_t last_seq = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    if (!parse_trace_line(line, event, why)) {
      return error(QCoreApplication::translate("RunLoader", "%1, line %2: %3")
                       .arg(file)
                       .arg(number)
                       .arg(QString::fromStdString(why)));
    }
    if (!events.empty() &&
        (event.seq <= last_seq || event.cycle < events.cycle(events.size() - 1))) {
      return error(QCoreApplication::translate("RunLoader",
                                               "%1, line %2: events out of order (seq %3 after %4)")
                       .arg(file)
                       .arg(number)
                       .arg(event.seq)
                       .arg(last_seq));
    }
    last_seq = event.seq;
    events.append(event);
  }
  return {};
}

machine::Result<LoadedRun> load_run(const QString& path) {
  LoadedRun run;
  run.summary.source = path;
  const QFileInfo info(path);
  if (!info.exists())
    return error(
        QCoreApplication::translate("RunLoader", "%1: no such file or directory").arg(path),
        ENOENT);
  if (info.isFile()) {
    // A trace.jsonl on its own: events without the run's counters.
    if (auto r = load_trace_jsonl(path, run.events); !r) return r.error();
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
    const QString trace = dir.filePath(QStringLiteral("trace.jsonl"));
    if (QFileInfo::exists(trace)) {
      if (auto r = load_trace_jsonl(trace, run.events); !r) return r.error();
    } else {
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
