// The window with what can go wrong when opening files: each malformed or missing input
// gives a message in the window's banner naming the problem, and the window stays usable
// (a good run opens afterwards). Then the timeline click selects the event in the table,
// the command line, and the Swedish translation.
#include <QTableView>
#include <QTest>

#include "gui/app_options.h"
#include "gui/events_view.h"
#include "gui/main_window.h"
#include "gui/run_loader.h"
#include "gui/timeline_widget.h"
#include "test_runs.h"

using namespace vmlab;
using namespace vmlab::gui;

class WindowTest : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  QString good_;

 private Q_SLOTS:
  void initTestCase() {
    good_ = tmp_.filePath(QStringLiteral("good"));
    QString out;
    QVERIFY2(test::make_run(good_,
                            {QStringLiteral("--mode"), QStringLiteral("bt"),
                             QStringLiteral("--profile"), QStringLiteral("pentium4"),
                             QStringLiteral("--append"), QStringLiteral("run=syscall iters=20")},
                            &out),
             qPrintable(out));
  }

  void bad_inputs_give_a_message_data() {
    QTest::addColumn<QString>("setup");
    QTest::addColumn<QString>("message");
    QTest::newRow("missing") << "missing"
                             << "no such file or directory";
    QTest::newRow("empty dir") << "empty"
                               << "not a vmlab run directory (no config.json";
    QTest::newRow("config not json") << "badconfig"
                                     << "config.json: not valid JSON at byte";
    QTest::newRow("config wrong schema") << "schema"
                                         << "not a vmlab config";
    QTest::newRow("stats truncated") << "badstats"
                                     << "stats.json: not valid JSON";
    QTest::newRow("trace line broken") << "badtrace"
                                       << "trace.jsonl, line 3: expected";
    QTest::newRow("trace out of order") << "order"
                                        << "trace.jsonl, line 2: events out of order";
    QTest::newRow("binary trace") << "binary"
                                  << "trace.jsonl, line 1:";
  }
  void bad_inputs_give_a_message() {
    QFETCH(QString, setup);
    QFETCH(QString, message);
    const QString dir = tmp_.filePath(setup);
    const QByteArray config = R"({"schema":"vmlab-config/1","mode":"native","arguments":[]})";
    const QByteArray line0 =
        R"({"seq":0,"cycle":5,"kind":"trap","kind_id":1,"mode":"trap","eip":1,"cpl":0,"charged":2,"args":{"reason":1,"error_code":0}})";
    const QByteArray line1 =
        R"({"seq":1,"cycle":4,"kind":"trap","kind_id":1,"mode":"trap","eip":1,"cpl":0,"charged":2,"args":{"reason":1,"error_code":0}})";
    if (setup != QStringLiteral("missing")) QDir().mkpath(dir);
    if (setup == QStringLiteral("badconfig"))
      test::write_file(dir + "/config.json", "{\"schema\": ");
    if (setup == QStringLiteral("schema"))
      test::write_file(dir + "/config.json", R"({"schema":"x"})");
    if (setup == QStringLiteral("badstats")) {
      test::write_file(dir + "/config.json", config);
      test::write_file(dir + "/stats.json", "{\"schema\":\"vmlab-stats/1\",");
    }
    if (setup == QStringLiteral("badtrace")) {
      test::write_file(dir + "/config.json", config);
      test::write_file(dir + "/trace.jsonl", line0 + "\n\n{\"seq\":1,\"cycle\":");
    }
    if (setup == QStringLiteral("order")) {
      test::write_file(dir + "/config.json", config);
      test::write_file(dir + "/trace.jsonl", line0 + "\n" + line1 + "\n");
    }
    if (setup == QStringLiteral("binary")) {
      test::write_file(dir + "/config.json", config);
      test::write_file(dir + "/trace.jsonl", QByteArray("\x00\xff\x13garbage", 10));
    }
    MainWindow w;
    QVERIFY(!w.open_run(dir));
    QVERIFY2(w.banner_text().contains(message), qPrintable(w.banner_text()));
    // Still usable: the good run opens in the same window.
    QVERIFY(w.open_run(good_));
    QVERIFY(w.banner_text().isEmpty());
    QVERIFY(w.document()->events().size() > 100);
  }

  void a_run_without_trace_opens_with_a_warning() {
    const QString dir = tmp_.filePath(QStringLiteral("notrace"));
    QDir().mkpath(dir);
    QFile::copy(good_ + "/config.json", dir + "/config.json");
    QFile::copy(good_ + "/stats.json", dir + "/stats.json");
    MainWindow w;
    QVERIFY(w.open_run(dir));
    QVERIFY(w.banner_text().contains(QStringLiteral("no trace.jsonl")));
    QCOMPARE(w.document()->events().size(), size_t{0});
    QVERIFY(w.document()->summary().count[vmm::index_of(vmm::EventKind::bt_translate)] > 0);
  }

  void timeline_click_selects_the_event_in_the_table() {
    MainWindow w;
    w.resize(1280, 820);
    QVERIFY(w.open_run(good_));
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    TimelineWidget* t = w.timeline();
    // Find a column with a bt event in the painted bins, and click it.
    t->repaint();
    const auto& bins = t->renderer().bins(Lane::bt);
    int column = -1;
    for (size_t c = 0; c < bins.size() && column < 0; ++c) {
      if (bins[c].count != 0) column = static_cast<int>(c);
    }
    QVERIFY(column >= 0);
    const int y = TimelineRenderer::kAxisHeight +
                  static_cast<int>(index_of(Lane::bt)) * TimelineRenderer::kLaneHeight + 12;
    QTest::mouseClick(t, Qt::LeftButton, {}, QPoint(TimelineRenderer::kLabelWidth + column, y));
    QVERIFY(t->selected().has_value());
    const size_t chosen = *t->selected();
    QCOMPARE(lane_of(w.document()->events().kind(chosen)), Lane::bt);
    const QModelIndex current = w.events()->table()->currentIndex();
    QVERIFY(current.isValid());
    QCOMPARE(current.data(EventTableModel::kEventIndexRole).toULongLong(), qulonglong{chosen});
    // Keyboard zoom and pan change the viewport; Home shows the whole run again.
    const TimelineViewport before = t->viewport();
    QTest::keyClick(t, Qt::Key_Plus);
    QVERIFY(t->viewport().cycles_per_px < before.cycles_per_px);
    QTest::keyClick(t, Qt::Key_Right);
    QVERIFY(t->viewport().start > before.start);
    QTest::keyClick(t, Qt::Key_Home);
    QCOMPARE(t->viewport().cycles_per_px, before.cycles_per_px);
  }

  void command_line() {
    AppOptions o;
    QVERIFY(!parse_app_options({"vmlab-gui", "--open", "d", "--view", "counters", "--screenshot",
                                "x.png", "--size", "800x600", "--lang", "sv"},
                               o));
    QCOMPARE(o.open, QStringLiteral("d"));
    QCOMPARE(*o.view, MainWindow::View::counters);
    QCOMPARE(o.width, 800);
    QCOMPARE(o.language, QStringLiteral("sv"));
    AppOptions bad;
    QVERIFY(parse_app_options({"vmlab-gui", "--view", "nonsense"}, bad)->contains("unknown view"));
    AppOptions mem;
    QVERIFY(!parse_app_options({"vmlab-gui", "--run", "--view", "memory", "--instructions", "5000"},
                               mem));
    QCOMPARE(*mem.view, MainWindow::View::memory);
    QCOMPARE(mem.instructions, 5000);
    AppOptions pages;
    QVERIFY(
        !parse_app_options({"vmlab-gui", "--memory-show", "user", "--goto", "0xC0100000"}, pages));
    QCOMPARE(*pages.memory_show, PageFilter::user);
    QCOMPARE(*pages.go_to, 0xC0100000u);
    QVERIFY(parse_app_options({"vmlab-gui", "--memory-show", "dirty"}, bad)->contains("differing"));
    QVERIFY(parse_app_options({"vmlab-gui", "--goto", "zz"}, bad)->contains("hex"));
    AppOptions bd;
    QVERIFY(!parse_app_options({"vmlab-gui", "--breakdown", "cycles", "--breakdown-of", "in"}, bd));
    QVERIFY(bd.breakdown_cycles);
    QCOMPARE(bd.breakdown_of, QStringLiteral("in"));
    QVERIFY(
        parse_app_options({"vmlab-gui", "--breakdown", "time"}, bad)->contains("events or cycles"));
    QVERIFY(parse_app_options({"vmlab-gui", "--goto", "100000000"}, bad)->contains("32-bit"));
    QVERIFY(parse_app_options({"vmlab-gui", "--instructions", "0"}, bad)->contains("positive"));
    QVERIFY(parse_app_options({"vmlab-gui", "--size", "1x1"}, bad)->contains("--size"));
    QVERIFY(parse_app_options({"vmlab-gui", "--mode", "kvm2"}, bad)->contains("unknown mode"));
    QVERIFY(parse_app_options({"vmlab-gui", "--open"}, bad)->contains("needs a value"));
    QVERIFY(parse_app_options({"vmlab-gui", "--frobnicate"}, bad)->contains("unknown option"));
  }
  void swedish() {
    MainWindow w;
    w.set_language(QStringLiteral("sv"));
    QCOMPARE(w.windowTitle(),
             QStringLiteral("vmlab — se en gäst under fem sätt att virtualisera x86"));
    QCOMPARE(QCoreApplication::translate("Lane", "Hidden fault"), QStringLiteral("Dolt sidfel"));
    w.set_language(QStringLiteral("en"));
    QCOMPARE(QCoreApplication::translate("Lane", "Hidden fault"), QStringLiteral("Hidden fault"));
  }

  void every_string_has_a_swedish_translation() {
    QFile ts(QStringLiteral(VMLAB_GUI_TS));
    QVERIFY(ts.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(ts.readAll());
    QVERIFY(text.count(QStringLiteral("<message>")) > 150);
    QCOMPARE(text.count(QStringLiteral("type=\"unfinished\"")), 0);
    QCOMPARE(text.count(QStringLiteral("<translation></translation>")), 0);
  }
};

QTEST_MAIN(WindowTest)
#include "window_test.moc"
