#include "gui/compare_data.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace vmlab::gui {

const CompareResult* CompareData::find(const QString& workload, const QString& mode) const {
  for (const CompareResult& r : results) {
    if (r.workload == workload && r.mode == mode) return &r;
  }
  return nullptr;
}

QStringList CompareData::skipped_cells() const {
  QStringList out;
  for (const CompareResult& r : results) {
    if (!r.ok && r.skipped) {
      out << QCoreApplication::translate("CompareData", "%1 under %2: %3")
                 .arg(r.workload, r.mode, r.reason);
    }
  }
  return out;
}

QStringList CompareData::failed_cells() const {
  QStringList out;
  for (const CompareResult& r : results) {
    if (!r.ok && !r.skipped) {
      out << QCoreApplication::translate("CompareData", "%1 under %2: %3")
                 .arg(r.workload, r.mode, r.reason);
    }
  }
  return out;
}

namespace {
// A CSV field: quoted when it holds a comma, a quote or a line break.
QString csv_field(const QString& text) {
  if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) &&
      !text.contains(QLatin1Char('\n'))) {
    return text;
  }
  QString quoted = text;
  quoted.replace(QStringLiteral("\""), QStringLiteral("\"\""));
  return QLatin1Char('"') + quoted + QLatin1Char('"');
}
}  // namespace

QString CompareData::to_csv() const {
  QStringList kinds, charged;
  for (const CompareResult& r : results) {
    for (auto it = r.events_per_op.begin(); it != r.events_per_op.end(); ++it) {
      if (!kinds.contains(it.key())) kinds << it.key();
    }
    for (auto it = r.event_cycles_per_op.begin(); it != r.event_cycles_per_op.end(); ++it) {
      if (!charged.contains(it.key())) charged << it.key();
    }
  }
  kinds.sort();
  charged.sort();
  QString csv = QStringLiteral(
      "workload,mode,ok,cycles_per_op,ratio_to_native,instructions_per_op,modeled_cycles_per_op");
  for (const QString& k : kinds) csv += QStringLiteral(",events_per_op.") + k;
  for (const QString& k : charged) csv += QStringLiteral(",event_cycles_per_op.") + k;
  csv += QStringLiteral(",skipped,reason\n");
  for (const CompareResult& r : results) {
    csv += QStringLiteral("%1,%2,%3,%4,%5,%6,%7")
               .arg(r.workload, r.mode, r.ok ? QStringLiteral("true") : QStringLiteral("false"))
               .arg(r.cycles_per_op, 0, 'f', 1)
               .arg(r.ratio_to_native, 0, 'f', 3)
               .arg(r.instructions_per_op, 0, 'f', 1)
               .arg(r.modeled_cycles_per_op, 0, 'f', 1);
    for (const QString& k : kinds) {
      csv += QStringLiteral(",%1").arg(r.events_per_op.value(k, 0.0), 0, 'f', 3);
    }
    for (const QString& k : charged) {
      csv += QStringLiteral(",%1").arg(r.event_cycles_per_op.value(k, 0.0), 0, 'f', 1);
    }
    csv +=
        QStringLiteral(",%1,%2\n")
            .arg(r.skipped ? QStringLiteral("true") : QStringLiteral("false"), csv_field(r.reason));
  }
  return csv;
}

machine::Result<CompareData> parse_compare_json(const QByteArray& json) {
  QJsonParseError parse{};
  const QJsonDocument doc = QJsonDocument::fromJson(json, &parse);
  if (parse.error != QJsonParseError::NoError) {
    return machine::Error{
        QCoreApplication::translate("CompareData", "not valid JSON at byte %1: %2")
            .arg(parse.offset)
            .arg(parse.errorString())
            .toStdString()};
  }
  const QJsonObject o = doc.object();
  if (o.value(QStringLiteral("schema")).toString() != QStringLiteral("vmlab-compare/1")) {
    return machine::Error{
        QCoreApplication::translate(
            "CompareData",
            "not vmlab compare output (expected schema vmlab-compare/1; make it with "
            "vmlab compare --format json)")
            .toStdString()};
  }
  CompareData d;
  d.profile = o.value(QStringLiteral("profile")).toString();
  for (const QJsonValue& v : o.value(QStringLiteral("results")).toArray()) {
    const QJsonObject e = v.toObject();
    CompareResult r;
    r.workload = e.value(QStringLiteral("workload")).toString();
    r.mode = e.value(QStringLiteral("mode")).toString();
    if (r.workload.isEmpty() || r.mode.isEmpty()) {
      return machine::Error{
          QCoreApplication::translate("CompareData", "a result without workload or mode")
              .toStdString()};
    }
    r.ok = e.value(QStringLiteral("ok")).toBool();
    if (!r.ok) {
      r.skipped = e.value(QStringLiteral("skipped")).toBool();
      r.reason = e.value(r.skipped ? QStringLiteral("reason") : QStringLiteral("error")).toString();
      if (r.reason.isEmpty()) {
        r.reason = r.skipped ? QCoreApplication::translate("CompareData", "no reason given")
                             : QCoreApplication::translate("CompareData", "no error given");
      }
    }
    r.cycles_per_op = e.value(QStringLiteral("cycles_per_op")).toDouble();
    r.ratio_to_native = e.value(QStringLiteral("ratio_to_native")).toDouble();
    r.instructions_per_op = e.value(QStringLiteral("instructions_per_op")).toDouble();
    const QJsonObject events = e.value(QStringLiteral("events_per_op")).toObject();
    for (auto it = events.begin(); it != events.end(); ++it) {
      r.events_per_op.insert(it.key(), it.value().toDouble());
    }
    r.modeled_cycles_per_op = e.value(QStringLiteral("modeled_cycles_per_op")).toDouble();
    const QJsonObject charged = e.value(QStringLiteral("event_cycles_per_op")).toObject();
    for (auto it = charged.begin(); it != charged.end(); ++it) {
      r.event_cycles_per_op.insert(it.key(), it.value().toDouble());
    }
    if (!d.workloads.contains(r.workload)) d.workloads << r.workload;
    if (!d.modes.contains(r.mode)) d.modes << r.mode;
    d.results.push_back(std::move(r));
  }
  if (d.results.empty())
    return machine::Error{QCoreApplication::translate("CompareData", "no results").toStdString()};
  return d;
}

machine::Result<CompareData> load_compare_json(const QString& file) {
  QFile f(file);
  if (!f.open(QIODevice::ReadOnly)) {
    return machine::Error{QCoreApplication::translate("CompareData", "cannot read (%1)")
                              .arg(f.errorString())
                              .toStdString(),
                          ENOENT};
  }
  return parse_compare_json(f.readAll());
}

}  // namespace vmlab::gui
