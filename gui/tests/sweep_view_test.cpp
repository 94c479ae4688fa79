// `vmlab sweep` results in the compare view, from a real small sweep this test runs: the
// cells grouped by workload x mode, the profile and cost set as a choice, the skipped cells
// shown as skipped with the guest's reason, and a double-click on a cell recording and
// opening its own run directory (events, timeline). A damaged or uncombined sweep gives a
// message, not a crash.
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QTableWidget>
#include <QTest>

#include "gui/cell_run.h"
#include "gui/compare_view.h"
#include "gui/main_window.h"
#include "gui/run_document.h"
#include "gui/sweep_data.h"
#include "test_runs.h"

using namespace vmlab::gui;

namespace {

// results.csv, read on its own (not through the GUI's reader): cell name -> its fields.
QMap<QString, QStringList> read_csv(const QString& file) {
  QFile f(file);
  QMap<QString, QStringList> rows;
  if (!f.open(QIODevice::ReadOnly)) return rows;
  const QList<QByteArray> lines = f.readAll().split('\n');
  for (qsizetype i = 1; i < lines.size(); ++i) {
    if (lines[i].isEmpty()) continue;
    // No field of this grid holds a comma: the quoted ones ("", "hypercall=5000") split as is.
    QStringList fields = QString::fromUtf8(lines[i]).split(QLatin1Char(','));
    for (QString& field : fields) field.remove(QLatin1Char('"'));
    rows.insert(fields[0], fields);
  }
  return rows;
}

}  // namespace

class SweepViewTest : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  QString dir_;

 private Q_SLOTS:
  void initTestCase() {
    // 2 cost sets x 2 workloads x 2 modes = 8 cells; the disk holds no vmlabfs, so the
    // guest skips filecreate0 (docs/sweep.md).
    const QString disk = tmp_.filePath(QStringLiteral("raw.img"));
    test::write_file(disk, QByteArray(1 << 20, '\0'));
    const QString grid = tmp_.filePath(QStringLiteral("grid.json"));
    test::write_file(grid, QStringLiteral(R"({"modes": ["native", "pv"],
 "workloads": [{"name": "in", "iters": 20}, {"name": "filecreate0", "iters": 2}],
 "profiles": ["pentium4"], "costs": [{}, {"hypercall": 5000}], "disk": "%1"})")
                               .arg(disk)
                               .toUtf8());
    dir_ = tmp_.filePath(QStringLiteral("sweep"));
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.setStandardInputFile(QProcess::nullDevice());
    p.start(QStringLiteral(VMLAB_CLI),
            {QStringLiteral("sweep"), QStringLiteral("-q"), QStringLiteral("-j"),
             QStringLiteral("2"), QStringLiteral("--kernel"), QStringLiteral(VMLAB_TEST_KERNEL),
             QStringLiteral("--out"), dir_, grid});
    QVERIFY(p.waitForFinished(240000));
    QVERIFY2(p.exitCode() == 0, p.readAll().constData());
  }

  void opens_the_sweep_grouped_by_workload_and_mode() {
    MainWindow window;
    QVERIFY2(window.open_run(dir_), qPrintable(window.banner_text()));  // --open DIR's path
    CompareView* view = window.compare();
    QCOMPARE(window.view_widget(MainWindow::View::compare), view);
    QVERIFY(view->isVisibleTo(&window) || !window.isVisible());
    const SweepData* sweep = view->sweep();
    QVERIFY(sweep != nullptr);
    QCOMPARE(sweep->cells.size(), size_t{8});
    QCOMPARE(sweep->configurations, (QStringList{QStringLiteral("pentium4"),
                                                 QStringLiteral("pentium4 + hypercall=5000")}));
    QCOMPARE(sweep->count_ok(), size_t{4});
    QCOMPARE(sweep->count_skipped(), size_t{4});
    QCOMPARE(sweep->count_failed(), size_t{0});

    const auto csv = read_csv(QDir(dir_).filePath(QStringLiteral("results.csv")));
    QCOMPARE(csv.size(), 8);
    double pv_in[2] = {0, 0}, native_in[2] = {0, 0};
    for (qsizetype c = 0; c < 2; ++c) {
      QVERIFY(view->set_configuration(c));
      QCOMPARE(view->configuration(), c);
      const CompareData& d = view->data();
      QCOMPARE(d.profile, sweep->configurations[c]);
      QCOMPARE(d.workloads, (QStringList{QStringLiteral("in"), QStringLiteral("filecreate0")}));
      QCOMPARE(d.modes, (QStringList{QStringLiteral("native"), QStringLiteral("pv")}));
      QTableWidget* table = view->cells_table();
      QCOMPARE(table->rowCount(), 2);
      QCOMPARE(table->columnCount(), 2);
      for (int row = 0; row < 2; ++row) {
        for (int column = 0; column < 2; ++column) {
          const SweepCell* cell = view->cell_at(row, column);
          QVERIFY(cell != nullptr);
          QCOMPARE(cell->workload, d.workloads[row]);
          QCOMPARE(cell->mode, d.modes[column]);
          const QStringList& fields = csv.value(cell->name);
          QCOMPARE(fields.size(), 14);
          QCOMPARE(fields[1], cell->mode);
          QCOMPARE(fields[2], cell->workload);
          const CompareResult* r = d.find(cell->workload, cell->mode);
          QVERIFY(r != nullptr);
          if (cell->workload == QStringLiteral("in")) {
            // Measured: the figure results.csv holds, in the table and the charts' data.
            QCOMPARE(fields[7], QStringLiteral("1"));
            QVERIFY(r->ok);
            QCOMPARE(QString::number(r->cycles_per_op, 'f', 1), fields[8]);
            // The events per operation, from the cell's own result.json.
            QCOMPARE(r->events_per_op.value(QStringLiteral("port_io"), 0) >= 1.0, true);
            QCOMPARE(r->events_per_op.value(QStringLiteral("hypercall"), 0),
                     cell->mode == QStringLiteral("pv") ? 1.0 : 0.0);
            QCOMPARE(table->item(row, column)->text(),
                     QLocale().toString(r->cycles_per_op, 'f', 1));
            (cell->mode == QStringLiteral("pv") ? pv_in : native_in)[c] = r->cycles_per_op;
          } else {
            // Skipped, with the real guest's reason, in the table and the note.
            QCOMPARE(fields[13], QStringLiteral("1"));
            QVERIFY(!r->ok);
            QVERIFY(r->skipped);
            QVERIFY2(r->reason.contains(QStringLiteral("no usable file system")),
                     qPrintable(r->reason));
            QCOMPARE(table->item(row, column)->text(), QStringLiteral("skipped"));
            QVERIFY(table->item(row, column)->toolTip().contains(r->reason));
          }
        }
      }
      QVERIFY(view->cells_note().contains(QStringLiteral("Skipped")));
      QVERIFY(view->cells_note().contains(QStringLiteral("no usable file system")));
      // The ratio to native is the same configuration's.
      QCOMPARE(d.find(QStringLiteral("in"), QStringLiteral("pv"))->ratio_to_native,
               pv_in[c] / native_in[c]);
    }
    // The cost set is a dimension of its own: a costlier hypercall moves pv's figure only.
    QCOMPARE(native_in[0], native_in[1]);
    QVERIFY(pv_in[1] > pv_in[0]);
  }

  void a_cell_opens_its_own_run_on_double_click() {
    MainWindow window;
    window.show();
    QVERIFY(window.open_sweep(dir_));
    CompareView* view = window.compare();
    QVERIFY(view->set_configuration(1));  // hypercall=5000
    QTableWidget* table = view->cells_table();
    const SweepCell* cell = view->cell_at(0, 1);  // in under pv
    QVERIFY(cell != nullptr);
    const QString run_dir = cell_run_dir(*view->sweep(), *cell);
    const QString cell_name = cell->name;  // (`cell` dies when the sweep is opened again)
    QVERIFY(!QFileInfo::exists(run_dir));
    const int events_before = static_cast<int>(window.document()->events().size());
    QCOMPARE(events_before, 0);

    // A real double-click on the cell: vmlab run records it, then the window opens it.
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const QRect rect = table->visualRect(table->model()->index(0, 1));
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, rect.center());
    QTest::mouseDClick(table->viewport(), Qt::LeftButton, {}, rect.center());
    QVERIFY(window.recording() != nullptr);
    QTRY_VERIFY_WITH_TIMEOUT(!window.document()->events().empty(), 120000);
    QVERIFY2(window.banner_text().isEmpty() ||
                 !window.banner_text().contains(QStringLiteral("Could not")),
             qPrintable(window.banner_text()));
    QVERIFY(window.document()->summary().variant.contains(QStringLiteral("pv")));
    QCOMPARE(window.view_widget(MainWindow::View::timeline), &window);

    // The run is the cell's: its workload and iterations, its profile with the override.
    const QJsonObject config = test::read_json(run_dir + QStringLiteral("/config.json"));
    QVERIFY(QJsonDocument(config).toJson().contains("run=in iters=20"));
    const QJsonObject stats = test::read_json(run_dir + QStringLiteral("/stats.json"));
    QVERIFY(!stats.isEmpty());
    const EventStore& events = window.document()->events();
    const RunSummary& summary = window.document()->summary();
    const unsigned hc = vmlab::vmm::index_of(vmlab::vmm::EventKind::hypercall);
    uint64_t hypercalls = 0;
    for (size_t i = 0; i < events.size(); ++i) {
      if (events.kind(i) != vmlab::vmm::EventKind::hypercall) continue;
      ++hypercalls;
      QCOMPARE(events.charged(i), 5000u);  // the cost set's override reached the run
    }
    QVERIFY(hypercalls >= 20);  // one per port read at least
    // The timeline holds the hypercalls stats.json counts, each charged the override.
    QCOMPARE(hypercalls, summary.count[hc]);
    QCOMPARE(summary.charged[hc], 5000 * hypercalls);

    // The second time, the folder the first left opens at once: nothing is recorded again.
    QVERIFY(window.open_sweep(dir_));
    QVERIFY(view->set_configuration(1));
    const QDateTime written = QFileInfo(run_dir + QStringLiteral("/config.json")).lastModified();
    window.open_sweep_cell(cell_name);
    QVERIFY(window.recording() == nullptr);
    QTRY_VERIFY_WITH_TIMEOUT(window.loading() == nullptr, 60000);
    QCOMPARE(QFileInfo(run_dir + QStringLiteral("/config.json")).lastModified(), written);
  }

  void the_arguments_name_the_cell() {
    SweepCell c;
    c.mode = QStringLiteral("trap-npt");
    c.workload = QStringLiteral("forkwait");
    c.args = QStringLiteral("child_touch=22 parent_touch=2");
    c.iters = 50;
    c.profile = QStringLiteral("pentium4");
    c.costs = {{QStringLiteral("trap"), 1000}};
    QCOMPARE(cell_run_arguments(c, QStringLiteral("k.elf"), QStringLiteral("o")),
             (QStringList{
                 QStringLiteral("run"), QStringLiteral("--quiet"), QStringLiteral("--mode"),
                 QStringLiteral("trap"), QStringLiteral("--cpu"), QStringLiteral("vt"),
                 QStringLiteral("--npt"), QStringLiteral("--profile"), QStringLiteral("pentium4"),
                 QStringLiteral("--cost"), QStringLiteral("trap=1000"), QStringLiteral("--out"),
                 QStringLiteral("o"), QStringLiteral("--trace"), QStringLiteral("--append"),
                 QStringLiteral("run=forkwait iters=50 child_touch=22 parent_touch=2"),
                 QStringLiteral("k.elf")}));
    c.mode = QStringLiteral("trap-classic");
    QVERIFY(cell_run_arguments(c, QStringLiteral("k"), QStringLiteral("o"))
                .join(QLatin1Char(' '))
                .contains(QStringLiteral("--mode trap --cpu classic --profile")));
  }

  void a_damaged_or_uncombined_sweep_gives_a_message() {
    // results.json broken: named, with the byte.
    const QString broken = tmp_.filePath(QStringLiteral("broken"));
    QVERIFY(QDir().mkpath(broken + QStringLiteral("/cells")));
    QFile::copy(QDir(dir_).filePath(QStringLiteral("grid.json")),
                broken + QStringLiteral("/grid.json"));
    test::write_file(broken + QStringLiteral("/results.json"),
                     "{\"schema\": \"vmlab-sweep/1\", \"cells\": [");
    MainWindow window;
    QVERIFY(!window.open_run(broken));
    QVERIFY2(window.banner_text().contains(QStringLiteral("results.json")) &&
                 window.banner_text().contains(QStringLiteral("byte")),
             qPrintable(window.banner_text()));
    // Another schema.
    test::write_file(broken + QStringLiteral("/results.json"), "{\"schema\": \"vmlab-compare/1\"}");
    QVERIFY(!window.open_run(broken));
    QVERIFY(window.banner_text().contains(QStringLiteral("vmlab-sweep/1")));
    // A cell name that would leave the sweep's folder.
    test::write_file(broken + QStringLiteral("/results.json"),
                     R"({"schema": "vmlab-sweep/1", "cells": [{"cell": "../../x", "mode": "pv",
                        "workload": "syscall", "profile": "pentium4", "iters": 1, "ok": true}]})");
    QVERIFY(!window.open_run(broken));
    QVERIFY(window.banner_text().contains(QStringLiteral("not a folder name")));
    // Not combined yet (vmlab sweep --cells A-B): the command that combines it.
    QFile::remove(broken + QStringLiteral("/results.json"));
    QVERIFY(!window.open_run(broken));
    QVERIFY2(window.banner_text().contains(QStringLiteral("--collect")),
             qPrintable(window.banner_text()));
    // The window stays usable: the real sweep opens after them.
    QVERIFY(window.open_run(dir_));
    QVERIFY(window.banner_text().isEmpty());
  }
};

QTEST_MAIN(SweepViewTest)
#include "sweep_view_test.moc"
