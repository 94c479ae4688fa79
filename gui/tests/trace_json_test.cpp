// Chrome / Perfetto trace.json input (gui/run_loader.h, load_trace_json): the trace.json
// of a real run loads to exactly the events of its trace.jsonl; malformed ones give a
// message naming the line; a large generated trace loads in the background
// (TraceLoadJob) with progress, the window's event loop running throughout, and a load
// can be cancelled, leaving the open run as it was.
#include <QElapsedTimer>
#include <QProgressBar>
#include <QTest>
#include <QTimer>
#include <cstdio>

#include "gui/main_window.h"
#include "gui/run_loader.h"
#include "gui/trace_load_job.h"
#include "test_runs.h"

using namespace vmlab;
using namespace vmlab::gui;

namespace {

// A trace.json of `n` events in vmlab's layout (chrome_trace_writer.cpp): traps, port I/O
// and hypercalls, 100 cycles apart.
void write_large_trace(const QString& file, uint64_t n) {
  std::FILE* f = std::fopen(QFile::encodeName(file).constData(), "wb");
  QVERIFY(f != nullptr);
  std::fputs(
      "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n"
      "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":1,\"args\":{\"name\":\"vmlab "
      "guest\"}},\n"
      "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":1,\"args\":{\"name\":\"vcpu0\"}}",
      f);
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t cycle = i * 100;
    switch (i % 3) {
      case 0:
        std::fprintf(f,
                     ",\n{\"name\":\"trap\",\"cat\":\"trap\",\"ph\":\"i\",\"s\":\"t\",\"ts\":%llu."
                     "%03llu,\"pid\":1,\"tid\":1,\"args\":{\"seq\":%llu,\"cycle\":%llu,\"eip\":"
                     "3222274048,\"cpl\":0,\"charged\":40,\"reason\":30,\"error_code\":0}}",
                     static_cast<unsigned long long>(cycle / 1000),
                     static_cast<unsigned long long>(cycle % 1000),
                     static_cast<unsigned long long>(i), static_cast<unsigned long long>(cycle));
        break;
      case 1:
        std::fprintf(f,
                     ",\n{\"name\":\"port_io\",\"cat\":\"trap\",\"ph\":\"i\",\"s\":\"t\",\"ts\":0,"
                     "\"pid\":1,\"tid\":1,\"args\":{\"seq\":%llu,\"cycle\":%llu,\"eip\":"
                     "3222274050,\"cpl\":0,\"charged\":20,\"port\":1016,\"size\":1,\"flags\":1,"
                     "\"value\":65}}",
                     static_cast<unsigned long long>(i), static_cast<unsigned long long>(cycle));
        break;
      default:
        std::fprintf(f,
                     ",\n{\"name\":\"hypercall\",\"cat\":\"pv\",\"ph\":\"i\",\"s\":\"t\",\"ts\":0,"
                     "\"pid\":1,\"tid\":1,\"args\":{\"seq\":%llu,\"cycle\":%llu,\"eip\":"
                     "3222274052,\"cpl\":1,\"charged\":60,\"number\":1,\"arg0\":0}}",
                     static_cast<unsigned long long>(i), static_cast<unsigned long long>(cycle));
        break;
    }
  }
  std::fputs("\n]}\n", f);
  std::fclose(f);
}

}  // namespace

class TraceJsonTest : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  QString run_;
  QString large_;
  static constexpr uint64_t kLarge = 600'000;

 private Q_SLOTS:
  void initTestCase() {
    run_ = tmp_.filePath(QStringLiteral("bt"));
    QString out;
    QVERIFY2(test::make_run(run_,
                            {QStringLiteral("--mode"), QStringLiteral("bt"),
                             QStringLiteral("--append"), QStringLiteral("run=syscall iters=20")},
                            &out),
             qPrintable(out));
    large_ = tmp_.filePath(QStringLiteral("large.json"));
    write_large_trace(large_, kLarge);
  }

  void trace_json_holds_what_trace_jsonl_holds() {
    EventStore jsonl, json;
    auto a = load_trace_jsonl(run_ + QStringLiteral("/trace.jsonl"), jsonl);
    QVERIFY2(a, a ? "" : a.error().message.c_str());
    auto b = load_trace_json(run_ + QStringLiteral("/trace.json"), json);
    QVERIFY2(b, b ? "" : b.error().message.c_str());
    QVERIFY(jsonl.size() > 1000);
    QCOMPARE(json.size(), jsonl.size());
    for (size_t i = 0; i < json.size(); ++i) {
      const vmm::Event x = jsonl.event(i), y = json.event(i);
      QVERIFY2(x.seq == y.seq && x.cycle == y.cycle && x.charged == y.charged && x.eip == y.eip &&
                   x.cpl == y.cpl && x.kind == y.kind && x.payload == y.payload,
               qPrintable(QStringLiteral("event %1 differs").arg(i)));
    }
    // Opened on its own, as a file: the same events, counters counted from them.
    auto run = load_run(run_ + QStringLiteral("/trace.json"));
    QVERIFY2(run, run ? "" : run.error().message.c_str());
    QCOMPARE(run.value().events.size(), jsonl.size());
    // A run directory without trace.jsonl falls back to trace.json.
    const QString dir = tmp_.filePath(QStringLiteral("json-only"));
    QVERIFY(QDir().mkpath(dir));
    for (const char* f : {"config.json", "stats.json", "trace.json"}) {
      QVERIFY(QFile::copy(run_ + QLatin1Char('/') + QLatin1String(f),
                          dir + QLatin1Char('/') + QLatin1String(f)));
    }
    auto from_dir = load_run(dir);
    QVERIFY2(from_dir, from_dir ? "" : from_dir.error().message.c_str());
    QCOMPARE(from_dir.value().events.size(), jsonl.size());
    QCOMPARE(from_dir.value().summary.mode, QStringLiteral("bt"));
  }

  void malformed_trace_json_gives_a_message_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("expected");
    const QByteArray header = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
    const QByteArray event =
        "{\"name\":\"trap\",\"cat\":\"trap\",\"ph\":\"i\",\"s\":\"t\",\"ts\":1.000,\"pid\":1,"
        "\"tid\":1,\"args\":{\"seq\":1,\"cycle\":1000,\"eip\":1,\"cpl\":0,\"charged\":5,"
        "\"reason\":1,\"error_code\":0}}";
    QTest::newRow("truncated") << header + event + ",\n" << QStringLiteral("truncated");
    QTest::newRow("not a trace") << QByteArray("{\"displayTimeUnit\":\"ms\"}\n")
                                 << QStringLiteral("line 1");
    QTest::newRow("unknown name") << header +
                                         QByteArray(event).replace("\"trap\",\"cat\"",
                                                                   "\"nosuch\",\"cat\"") +
                                         "\n]}\n"
                                  << QStringLiteral("unknown event name");
    QTest::newRow("bad arg") << header + QByteArray(event).replace("reason", "bogus") + "\n]}\n"
                             << QStringLiteral("not a field of trap");
    QTest::newRow("cut line") << header + event.left(60) + "\n]}\n" << QStringLiteral("line 2");
    QTest::newRow("after the end") << header + event + "\n]}\nmore\n"
                                   << QStringLiteral("after the closing");
  }

  void malformed_trace_json_gives_a_message() {
    QFETCH(QByteArray, bytes);
    QFETCH(QString, expected);
    const QString file = tmp_.filePath(QStringLiteral("bad.json"));
    test::write_file(file, bytes);
    EventStore store;
    auto r = load_trace_json(file, store);
    QVERIFY(!r);
    QVERIFY2(QString::fromStdString(r.error().message).contains(expected),
             r.error().message.c_str());
    MainWindow w;
    QVERIFY(!w.open_run(file));
    QVERIFY(w.banner_text().contains(expected));
  }

  void a_large_trace_loads_in_the_background() {
    MainWindow w;
    w.show();
    QVERIFY(w.open_run(run_));
    const size_t before = w.document()->events().size();
    // The event loop must keep turning while the trace loads: count timer ticks.
    int ticks_while_loading = 0;
    QTimer tick;
    tick.setInterval(2);
    connect(&tick, &QTimer::timeout, this, [&] {
      if (w.loading() != nullptr && w.loading()->running()) ++ticks_while_loading;
    });
    tick.start();
    std::vector<int> progress;
    QElapsedTimer clock;
    clock.start();
    w.open_run_in_background(large_);
    QVERIFY(w.loading() != nullptr);
    connect(w.loading(), &TraceLoadJob::progressed, this,
            [&](int percent) { progress.push_back(percent); });
    // Until it lands, the old run stays shown.
    QCOMPARE(w.document()->events().size(), before);
    QTRY_VERIFY_WITH_TIMEOUT(w.loading() == nullptr, 120000);
    const qint64 ms = clock.elapsed();
    QCOMPARE(w.document()->events().size(), static_cast<size_t>(kLarge));
    QCOMPARE(w.document()->events().end_cycle(), (kLarge - 1) * 100 + 60);
    QVERIFY2(ticks_while_loading >= 3,
             qPrintable(QStringLiteral("%1 ticks in %2 ms").arg(ticks_while_loading).arg(ms)));
    QVERIFY(progress.size() >= 10);
    QVERIFY(std::is_sorted(progress.begin(), progress.end()));
    QCOMPARE(progress.back(), 100);
    qInfo("%llu events loaded in the background in %lld ms, %d ticks of the event loop meanwhile",
          static_cast<unsigned long long>(kLarge), static_cast<long long>(ms), ticks_while_loading);
  }

  void a_load_can_be_cancelled() {
    MainWindow w;
    QVERIFY(w.open_run(run_));
    const size_t before = w.document()->events().size();
    w.open_run_in_background(large_);
    bool cancelled_at_first_progress = false;
    connect(w.loading(), &TraceLoadJob::progressed, this, [&] {
      if (!cancelled_at_first_progress) {
        cancelled_at_first_progress = true;
        w.cancel_loading();
      }
    });
    QTRY_VERIFY_WITH_TIMEOUT(w.loading() == nullptr, 120000);
    QVERIFY(cancelled_at_first_progress);
    QCOMPARE(w.document()->events().size(), before);
    QVERIFY2(w.banner_text().contains(QStringLiteral("cancelled")), qPrintable(w.banner_text()));
    // Closing the window while a load runs cancels it (no crash, no leak).
    auto* other = new MainWindow;
    other->open_run_in_background(large_);
    delete other;
  }
};

QTEST_MAIN(TraceJsonTest)
#include "trace_json_test.moc"
