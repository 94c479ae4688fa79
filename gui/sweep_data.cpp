#include "gui/sweep_data.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <cmath>

namespace vmlab::gui {

namespace {

QString tr(const char* text) {
  return QCoreApplication::translate("SweepData", text);
}

machine::Error error(const QString& message, int code = EINVAL) {
  return machine::Error{message.toStdString(), code};
}

// A JSON object read from `file`, or the reason it cannot be.
machine::Result<QJsonObject> read_object(const QString& file) {
  QFile f(file);
  if (!f.open(QIODevice::ReadOnly)) {
    return error(tr("%1: cannot read (%2)").arg(file, f.errorString()), ENOENT);
  }
  QJsonParseError parse{};
  const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &parse);
  if (parse.error != QJsonParseError::NoError) {
    return error(tr("%1: not valid JSON at byte %2: %3")
                     .arg(file)
                     .arg(parse.offset)
                     .arg(parse.errorString()));
  }
  if (!doc.isObject()) return error(tr("%1: not a JSON object").arg(file));
  return doc.object();
}

// A non-negative whole number below 2^53 (a JSON number as the sweep writes it), or false.
bool count_of(const QJsonValue& v, uint64_t& out) {
  if (!v.isDouble()) return false;
  const double d = v.toDouble();
  if (!(d >= 0) || d > 9007199254740992.0 || d != std::floor(d)) return false;
  out = static_cast<uint64_t>(d);
  return true;
}

}  // namespace

QString SweepCell::workload_label() const {
  return args.isEmpty() ? workload : workload + QLatin1Char(' ') + args;
}

QString SweepCell::configuration() const {
  if (costs.empty()) return profile;
  QStringList parts;
  for (const auto& [key, value] : costs) parts << QStringLiteral("%1=%2").arg(key).arg(value);
  return profile + QStringLiteral(" + ") + parts.join(QLatin1Char(' '));
}

QString SweepData::cell_dir(const QString& name) const {
  return QDir(dir).filePath(QStringLiteral("cells/") + name);
}

const SweepCell* SweepData::find(qsizetype configuration, const QString& workload_label,
                                 const QString& mode) const {
  if (configuration < 0 || configuration >= configurations.size()) return nullptr;
  const QString& c = configurations[configuration];
  for (const SweepCell& cell : cells) {
    if (cell.mode == mode && cell.workload_label() == workload_label && cell.configuration() == c) {
      return &cell;
    }
  }
  return nullptr;
}

CompareData SweepData::compare_for(qsizetype index) const {
  CompareData d;
  if (index < 0 || index >= configurations.size()) return d;
  d.profile = configurations[index];
  for (const SweepCell& cell : cells) {
    if (cell.configuration() != d.profile) continue;
    CompareResult r;
    r.workload = cell.workload_label();
    r.mode = cell.mode;
    r.ok = cell.ok;
    r.skipped = cell.skipped;
    r.reason = cell.reason;
    r.cycles_per_op = cell.cycles_per_op;
    r.modeled_cycles_per_op = cell.modeled_cycles_per_op;
    r.instructions_per_op = cell.instructions_per_op;
    r.events_per_op = cell.events_per_op;
    // The sweep keeps no cycles charged per event kind: event_cycles_per_op stays empty.
    if (!d.workloads.contains(r.workload)) d.workloads << r.workload;
    if (!d.modes.contains(r.mode)) d.modes << r.mode;
    d.results.push_back(std::move(r));
  }
  // The ratio to native as vmlab compare gives it: cycles per operation over native's, in
  // the same configuration (none without a measured native cell).
  for (CompareResult& r : d.results) {
    const CompareResult* native = nullptr;
    for (const CompareResult& n : d.results) {
      if (n.workload == r.workload && n.mode == QStringLiteral("native")) native = &n;
    }
    if (r.ok && native != nullptr && native->ok && native->cycles_per_op > 0) {
      r.ratio_to_native = r.cycles_per_op / native->cycles_per_op;
    }
  }
  return d;
}

size_t SweepData::count_ok() const {
  size_t n = 0;
  for (const SweepCell& c : cells) n += c.ok ? 1 : 0;
  return n;
}

size_t SweepData::count_skipped() const {
  size_t n = 0;
  for (const SweepCell& c : cells) n += !c.ok && c.skipped ? 1 : 0;
  return n;
}

size_t SweepData::count_failed() const {
  size_t n = 0;
  for (const SweepCell& c : cells) n += !c.ok && !c.skipped ? 1 : 0;
  return n;
}

bool is_sweep_dir(const QString& dir) {
  const QDir d(dir);
  if (!QFileInfo(dir).isDir()) return false;
  if (QFileInfo(d.filePath(QStringLiteral("results.json"))).isFile()) return true;
  return QFileInfo(d.filePath(QStringLiteral("grid.json"))).isFile() &&
         QFileInfo(d.filePath(QStringLiteral("cells"))).isDir();
}

machine::Result<SweepData> load_sweep(const QString& dir) {
  SweepData s;
  s.dir = QFileInfo(dir).absoluteFilePath();
  const QDir d(s.dir);
  const QString results = d.filePath(QStringLiteral("results.json"));
  if (!QFileInfo(results).isFile()) {
    return error(tr("%1: no results.json: the sweep has not combined its cells yet (vmlab "
                    "sweep --collect --out %2)")
                     .arg(s.dir, dir),
                 ENOENT);
  }
  auto top = read_object(results);
  if (!top) return top.error();
  const QJsonObject& o = top.value();
  if (o.value(QStringLiteral("schema")).toString() != QStringLiteral("vmlab-sweep/1")) {
    return error(tr("%1: not vmlab sweep results (expected schema vmlab-sweep/1)").arg(results));
  }
  if (!o.value(QStringLiteral("cells")).isArray()) {
    return error(tr("%1: no cells array").arg(results));
  }
  const QJsonArray cells = o.value(QStringLiteral("cells")).toArray();
  for (qsizetype i = 0; i < cells.size(); ++i) {
    const QJsonObject e = cells[i].toObject();
    const auto bad = [&](const QString& what) {
      return error(tr("%1: cell %2: %3").arg(results).arg(i).arg(what));
    };
    SweepCell c;
    c.name = e.value(QStringLiteral("cell")).toString();
    c.mode = e.value(QStringLiteral("mode")).toString();
    c.workload = e.value(QStringLiteral("workload")).toString();
    c.args = e.value(QStringLiteral("args")).toString();
    c.profile = e.value(QStringLiteral("profile")).toString();
    if (c.name.isEmpty() || c.mode.isEmpty() || c.workload.isEmpty() || c.profile.isEmpty()) {
      return bad(tr("no cell, mode, workload or profile"));
    }
    // The cell's folder name is a path below DIR/cells: one plain component.
    if (c.name.contains(QLatin1Char('/')) || c.name.contains(QLatin1Char('\\')) ||
        c.name == QStringLiteral(".") || c.name == QStringLiteral("..")) {
      return bad(tr("the cell name \"%1\" is not a folder name").arg(c.name));
    }
    if (!count_of(e.value(QStringLiteral("iters")), c.iters)) {
      return bad(tr("iters is not a count"));
    }
    // "trap=1000 vt.entry=0", as vmlab sweep writes the cost set.
    const QString costs = e.value(QStringLiteral("costs")).toString();
    for (const QString& part : costs.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
      const qsizetype eq = part.indexOf(QLatin1Char('='));
      bool number = false;
      const qint64 value = eq > 0 ? part.mid(eq + 1).toLongLong(&number) : 0;
      if (!number) return bad(tr("the cost override \"%1\" is not KEY=CYCLES").arg(part));
      c.costs.emplace_back(part.left(eq), value);
    }
    c.ok = e.value(QStringLiteral("ok")).toBool();
    if (c.ok) {
      c.cycles_per_op = e.value(QStringLiteral("cycles_per_op")).toDouble();
      c.modeled_cycles_per_op = e.value(QStringLiteral("modeled_cycles_per_op")).toDouble();
      c.instructions_per_op = e.value(QStringLiteral("instructions_per_op")).toDouble();
    } else {
      c.skipped = e.value(QStringLiteral("skipped")).toBool();
      c.reason = e.value(c.skipped ? QStringLiteral("reason") : QStringLiteral("error")).toString();
      if (c.reason.isEmpty()) c.reason = c.skipped ? tr("no reason given") : tr("no error given");
    }
    // The events per operation are in the cell's own file (a failed cell has none).
    if (c.ok) {
      const QString cell_file = s.cell_dir(c.name) + QStringLiteral("/result.json");
      auto cell = read_object(cell_file);
      if (!cell) {
        s.warnings << QString::fromStdString(cell.error().message);
      } else {
        const QJsonObject events = cell.value().value(QStringLiteral("events_per_op")).toObject();
        for (auto it = events.begin(); it != events.end(); ++it) {
          if (it.value().isDouble()) c.events_per_op.insert(it.key(), it.value().toDouble());
        }
      }
    }
    if (!s.configurations.contains(c.configuration())) s.configurations << c.configuration();
    s.cells.push_back(std::move(c));
  }
  if (s.cells.empty()) return error(tr("%1: no cells").arg(results));
  // The grid's disk, for the run a cell records (gui/cell_run.h).
  if (auto grid = read_object(d.filePath(QStringLiteral("grid.json")))) {
    const QString disk = grid.value().value(QStringLiteral("disk")).toString();
    if (!disk.isEmpty()) s.disk = disk;
  }
  return s;
}

}  // namespace vmlab::gui
