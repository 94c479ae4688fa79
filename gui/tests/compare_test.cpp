// The Compare view over real `vmlab compare --format json` output: parsed figures, the
// bars' data, and the PNG, SVG and CSV exports; malformed input gives a message; a skipped
// cell shows as skipped with the guest's reason, not as failed.
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QImage>
#include <QJsonArray>
#include <QRegularExpression>
#include <QTest>
#include <sstream>

#include "frontend/compare_output.h"

#include "gui/compare_view.h"
#include "test_runs.h"

using namespace vmlab::gui;

class CompareTest : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  QString json_;

 private Q_SLOTS:
  void initTestCase() {
    QProcess p;
    p.start(
        QStringLiteral(VMLAB_CLI),
        {QStringLiteral("compare"), QStringLiteral("--modes"), QStringLiteral("native,trap,pv"),
         QStringLiteral("--workloads"), QStringLiteral("syscall,nullio"), QStringLiteral("--iters"),
         QStringLiteral("20"), QStringLiteral("--format"), QStringLiteral("json"),
         QStringLiteral("-q"), QStringLiteral("--kernel"), QStringLiteral(VMLAB_TEST_KERNEL)});
    QVERIFY(p.waitForFinished(240000));
    QCOMPARE(p.exitCode(), 0);
    json_ = tmp_.filePath(QStringLiteral("compare.json"));
    test::write_file(json_, p.readAllStandardOutput());
  }

  void reads_compare_output() {
    auto data = load_compare_json(json_);
    QVERIFY(data.ok());
    const CompareData& d = data.value();
    QCOMPARE(d.workloads, (QStringList{QStringLiteral("syscall"), QStringLiteral("nullio")}));
    QCOMPARE(d.modes,
             (QStringList{QStringLiteral("native"), QStringLiteral("trap"), QStringLiteral("pv")}));
    const QJsonArray results = test::read_json(json_).value(QStringLiteral("results")).toArray();
    QCOMPARE(d.results.size(), static_cast<size_t>(results.size()));
    for (const QJsonValue& v : results) {
      const QJsonObject o = v.toObject();
      const CompareResult* r = d.find(o.value(QStringLiteral("workload")).toString(),
                                      o.value(QStringLiteral("mode")).toString());
      QVERIFY(r != nullptr);
      QCOMPARE(r->cycles_per_op, o.value(QStringLiteral("cycles_per_op")).toDouble());
      QCOMPARE(r->ratio_to_native, o.value(QStringLiteral("ratio_to_native")).toDouble());
    }
    QCOMPARE(d.find(QStringLiteral("syscall"), QStringLiteral("native"))->ratio_to_native, 1.0);
  }

  void exports() {
    CompareView view;
    QString error;
    QVERIFY2(view.open_json(json_, &error), qPrintable(error));
    view.set_ratio(true);
    view.set_log_scale(false);
    const QString png = tmp_.filePath(QStringLiteral("c.png"));
    const QString svg = tmp_.filePath(QStringLiteral("c.svg"));
    const QString csv = tmp_.filePath(QStringLiteral("c.csv"));
    QVERIFY(view.export_png(png));
    QVERIFY(view.export_svg(svg));
    QVERIFY(view.export_csv(csv));
    QImage image(png);
    QCOMPARE(image.size(), QSize(1200, 900));
    QFile s(svg);
    QVERIFY(s.open(QIODevice::ReadOnly));
    const QByteArray svg_text = s.readAll();
    QVERIFY(svg_text.contains("<svg"));
    QVERIFY(svg_text.contains("syscall"));
    QFile c(csv);
    QVERIFY(c.open(QIODevice::ReadOnly));
    const QStringList lines =
        QString::fromUtf8(c.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 7);  // header + 2 workloads x 3 modes
    QVERIFY(lines[0].startsWith(QStringLiteral("workload,mode,ok,cycles_per_op,ratio_to_native")));
    QVERIFY(lines[1].startsWith(QStringLiteral("syscall,native,true,")));
  }

  // The breakdown in cycles: each mode's stack (the cycles charged to each event class, and
  // the guest instructions' own cycles beneath) adds up to its modeled cycles per operation.
  void cycles_breakdown() {
    QProcess p;
    p.start(QStringLiteral(VMLAB_CLI),
            {QStringLiteral("compare"), QStringLiteral("--modes"), QStringLiteral("native,trap"),
             QStringLiteral("--workloads"), QStringLiteral("in"), QStringLiteral("--iters"),
             QStringLiteral("20"), QStringLiteral("--profile"), QStringLiteral("vtx-prescott"),
             QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("-q"),
             QStringLiteral("--kernel"), QStringLiteral(VMLAB_TEST_KERNEL)});
    QVERIFY(p.waitForFinished(240000));
    QCOMPARE(p.exitCode(), 0);
    auto data = parse_compare_json(p.readAllStandardOutput());
    QVERIFY(data.ok());
    const CompareResult* trap = data.value().find(QStringLiteral("in"), QStringLiteral("trap"));
    QVERIFY(trap != nullptr);
    // One `in` is one VM exit, charged the Prescott round trip (Agesen et al. 2012, Table 1).
    QVERIFY(trap->event_cycles_per_op.value(QStringLiteral("trap")) >= 3963.0);
    CompareView view;
    view.set_data(data.value());
    view.set_breakdown_cycles(true);
    const auto charts = view.findChildren<QChartView*>();
    QCOMPARE(charts.size(), 2);
    const auto* stacked = qobject_cast<QAbstractBarSeries*>(charts[1]->chart()->series().value(0));
    QVERIFY(stacked != nullptr);
    QCOMPARE(stacked->barSets().front()->label(), QStringLiteral("Guest instructions"));
    const QStringList modes = view.data().modes;
    for (qsizetype m = 0; m < modes.size(); ++m) {
      double sum = 0;
      for (const QBarSet* set : stacked->barSets()) sum += set->at(m);
      const CompareResult* r = view.data().find(QStringLiteral("in"), modes[m]);
      QVERIFY(qAbs(sum - r->modeled_cycles_per_op) < 1.0);
    }
  }

  // A cell the guest skipped (a disk workload without a usable file system). The reason is
  // the real guest's, from a run given a disk with no vmlabfs on it; the cell is written by
  // the frontend's own JSON writer as vmlab compare writes a skipped one, beside the real
  // comparison and a failed cell.
  void a_skipped_cell_is_shown_as_skipped() {
    const QString disk = tmp_.filePath(QStringLiteral("blank.img"));
    test::write_file(disk, QByteArray(1 << 20, '\0'));
    QProcess run;
    run.setStandardInputFile(QProcess::nullDevice());
    run.start(QStringLiteral(VMLAB_CLI),
              {QStringLiteral("run"), QStringLiteral("-q"), QStringLiteral("--mode"),
               QStringLiteral("pv"), QStringLiteral("--disk"), disk, QStringLiteral("--append"),
               QStringLiteral("run=diskread iters=1"), QStringLiteral(VMLAB_TEST_KERNEL)});
    QVERIFY(run.waitForFinished(240000));
    const QString console = QString::fromLocal8Bit(run.readAllStandardOutput());
    const auto said =
        QRegularExpression(QStringLiteral("skip workload=diskread reason=\"([^\"]+)\""))
            .match(console);
    QVERIFY2(said.hasMatch(), qPrintable(console));
    const QString reason = said.captured(1);

    vmlab::frontend::Measurement skipped;
    skipped.mode = vmlab::vmm::ModeId::pv;
    skipped.label = "pv";
    skipped.workload = "diskread";
    skipped.iters = 1;
    skipped.skipped = true;
    skipped.error = reason.toStdString();
    vmlab::frontend::Measurement failed = skipped;
    failed.mode = vmlab::vmm::ModeId::trap;
    failed.label = "trap";
    failed.skipped = false;
    failed.error = "the guest stopped: triple fault";
    std::ostringstream cells;
    vmlab::frontend::print_compare_json(cells, {"native-1c", VMLAB_TEST_KERNEL}, {skipped, failed});
    QJsonObject doc = test::read_json(json_);
    QJsonArray results = doc.value(QStringLiteral("results")).toArray();
    for (const QJsonValue& v : QJsonDocument::fromJson(QByteArray::fromStdString(cells.str()))
                                   .object()
                                   .value(QStringLiteral("results"))
                                   .toArray()) {
      results.append(v);
    }
    doc.insert(QStringLiteral("results"), results);
    const QString file = tmp_.filePath(QStringLiteral("with-skipped.json"));
    test::write_file(file, QJsonDocument(doc).toJson());

    CompareView view;
    QString error;
    QVERIFY2(view.open_json(file, &error), qPrintable(error));
    const CompareResult* r = view.data().find(QStringLiteral("diskread"), QStringLiteral("pv"));
    QVERIFY(r != nullptr);
    QVERIFY(!r->ok);
    QVERIFY(r->skipped);
    QCOMPARE(r->reason, reason);
    const CompareResult* f = view.data().find(QStringLiteral("diskread"), QStringLiteral("trap"));
    QVERIFY(f != nullptr && !f->ok && !f->skipped);
    QCOMPARE(f->reason, QStringLiteral("the guest stopped: triple fault"));
    QCOMPARE(view.data().skipped_cells(),
             QStringList{QStringLiteral("diskread under pv: ") + reason});
    QCOMPARE(view.data().failed_cells(),
             QStringList{QStringLiteral("diskread under trap: the guest stopped: triple fault")});
    // The note under the heading: skipped in grey, failed in red, each with its why.
    QCOMPARE(view.cells_note(),
             QStringLiteral("<span style='color:#555'><b>Skipped</b> (the guest cannot run the "
                            "workload here; not a failure, no bar): diskread under pv: %1</span>"
                            "<br><span style='color:#b00020'><b>Failed</b> (no bar): diskread "
                            "under trap: the guest stopped: triple fault</span>")
                 .arg(reason.toHtmlEscaped()));
    // The breakdown of diskread names each mode's state under its bar.
    QVERIFY(view.set_breakdown_workload(QStringLiteral("diskread")));
    const auto charts = view.findChildren<QChartView*>();
    QCOMPARE(charts.size(), 2);
    QStringList labels;
    for (QAbstractAxis* axis : charts[1]->chart()->axes(Qt::Horizontal)) {
      if (auto* c = qobject_cast<QBarCategoryAxis*>(axis)) labels = c->categories();
    }
    QCOMPARE(labels, (QStringList{QStringLiteral("native"), QStringLiteral("trap (failed)"),
                                  QStringLiteral("pv (skipped)")}));
    // The CSV says skipped, with the reason.
    const QStringList csv = view.data().to_csv().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QVERIFY(csv[0].endsWith(QStringLiteral(",skipped,reason")));
    QVERIFY(csv[1].endsWith(QStringLiteral(",false,")));  // a measured cell
    QVERIFY2(csv.last().startsWith(QStringLiteral("diskread,trap,false,")), qPrintable(csv.last()));
    QVERIFY(csv.last().endsWith(QStringLiteral(",false,the guest stopped: triple fault")));
    QVERIFY2(csv[csv.size() - 2].endsWith(QStringLiteral(",true,\"") + reason + QLatin1Char('"')),
             qPrintable(csv[csv.size() - 2]));
  }

  void malformed_input() {
    QVERIFY(!parse_compare_json("{").ok());
    QVERIFY(QString::fromStdString(parse_compare_json(R"({"schema":"other"})").error().message)
                .contains(QStringLiteral("vmlab-compare/1")));
    QVERIFY(!parse_compare_json(R"({"schema":"vmlab-compare/1","results":[]})").ok());
  }
};

QTEST_MAIN(CompareTest)
#include "compare_test.moc"
