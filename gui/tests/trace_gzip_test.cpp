// gzip traces (`vmlab run --trace-gzip`: trace.jsonl.gz and trace.json.gz): a run directory
// holding them opens as the same run made with --trace does, event for event, and each .gz
// opens on its own as its plain file does; a truncated, damaged or mislabelled .gz gives
// one message in the window naming the file and what is wrong, and the window stays usable.
#include <zlib.h>
#include <QTest>

#include "gui/main_window.h"
#include "gui/run_loader.h"
#include "gui/trace_file_reader.h"
#include "test_runs.h"

using namespace vmlab;
using namespace vmlab::gui;

namespace {

QByteArray read_all(const QString& file) {
  QFile f(file);
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void expect_same_events(const EventStore& a, const EventStore& b) {
  QCOMPARE(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const vmm::Event x = a.event(i), y = b.event(i);
    QVERIFY2(x.seq == y.seq && x.cycle == y.cycle && x.charged == y.charged && x.eip == y.eip &&
                 x.cpl == y.cpl && x.kind == y.kind && x.payload == y.payload,
             qPrintable(QStringLiteral("event %1 differs").arg(i)));
  }
}

}  // namespace

class TraceGzipTest : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  QString plain_, gz_;

 private Q_SLOTS:
  void initTestCase() {
    const QStringList args{QStringLiteral("--mode"),    QStringLiteral("pv"),
                           QStringLiteral("--profile"), QStringLiteral("pentium4"),
                           QStringLiteral("--append"),  QStringLiteral("run=ptemod iters=50")};
    plain_ = tmp_.filePath(QStringLiteral("plain"));
    gz_ = tmp_.filePath(QStringLiteral("gz"));
    QString out;
    QVERIFY2(test::make_run(plain_, args, &out), qPrintable(out));
    QVERIFY2(test::make_run(gz_, QStringList(args) << QStringLiteral("--trace-gzip"), &out),
             qPrintable(out));
    QVERIFY(!QFile::exists(gz_ + QStringLiteral("/trace.jsonl")));
    QVERIFY(is_gzip_file(gz_ + QStringLiteral("/trace.jsonl.gz")));
    QVERIFY(is_gzip_file(gz_ + QStringLiteral("/trace.json.gz")));
  }

  void a_gzip_run_directory_opens_as_the_plain_one() {
    auto plain = load_run(plain_);
    QVERIFY2(plain, plain ? "" : plain.error().message.c_str());
    auto gz = load_run(gz_);
    QVERIFY2(gz, gz ? "" : gz.error().message.c_str());
    QVERIFY(plain.value().events.size() > 1000);
    expect_same_events(plain.value().events, gz.value().events);
    QVERIFY(gz.value().warnings.isEmpty());
    QCOMPARE(gz.value().summary.count, plain.value().summary.count);
    // In the window too, with its timeline and counters.
    MainWindow w;
    QVERIFY(w.open_run(gz_));
    QVERIFY2(w.banner_text().isEmpty(), qPrintable(w.banner_text()));
    QCOMPARE(w.document()->events().size(), plain.value().events.size());
  }

  void each_gz_file_opens_on_its_own() {
    auto jsonl = load_run(plain_ + QStringLiteral("/trace.jsonl"));
    QVERIFY2(jsonl, jsonl ? "" : jsonl.error().message.c_str());
    for (const char* name : {"trace.jsonl.gz", "trace.json.gz"}) {
      auto run = load_run(gz_ + QLatin1Char('/') + QLatin1String(name));
      QVERIFY2(run, run ? name : run.error().message.c_str());
      expect_same_events(jsonl.value().events, run.value().events);
    }
    // Only trace.json.gz in the directory: it is the trace.
    const QString dir = tmp_.filePath(QStringLiteral("json-gz-only"));
    QVERIFY(QDir().mkpath(dir));
    for (const char* f : {"config.json", "stats.json", "trace.json.gz"}) {
      QVERIFY(QFile::copy(gz_ + QLatin1Char('/') + QLatin1String(f),
                          dir + QLatin1Char('/') + QLatin1String(f)));
    }
    auto from_dir = load_run(dir);
    QVERIFY2(from_dir, from_dir ? "" : from_dir.error().message.c_str());
    expect_same_events(jsonl.value().events, from_dir.value().events);
  }

  void bad_gz_gives_a_message_data() {
    QTest::addColumn<QString>("damage");
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("message");
    QTest::newRow("truncated jsonl.gz") << "half"
                                        << "trace.jsonl.gz"
                                        << "trace.jsonl.gz: truncated gzip data after line";
    QTest::newRow("truncated json.gz") << "half"
                                       << "trace.json.gz"
                                       << "trace.json.gz: truncated gzip data after line";
    QTest::newRow("header only") << "ten"
                                 << "trace.jsonl.gz"
                                 << "trace.jsonl.gz: truncated gzip data after line 0";
    QTest::newRow("damaged") << "flip"
                             << "trace.jsonl.gz"
                             << "trace.jsonl.gz: damaged gzip data after line";
    QTest::newRow("not gzip") << "plain"
                              << "trace.jsonl.gz"
                              << "trace.jsonl.gz: not gzip-compressed";
    QTest::newRow("empty") << "empty"
                           << "trace.json.gz"
                           << "trace.json.gz: not gzip-compressed";
    QTest::newRow("gzip of garbage") << "garbage"
                                     << "trace.jsonl.gz"
                                     << "trace.jsonl.gz, line 1:";
  }
  // Each damaged .gz as the only trace of a run directory, and on its own.
  void bad_gz_gives_a_message() {
    QFETCH(QString, damage);
    QFETCH(QString, file);
    QFETCH(QString, message);
    const QString dir = tmp_.filePath(QStringLiteral("bad-") + QString(QTest::currentDataTag()));
    QVERIFY(QDir().mkpath(dir));
    for (const char* f : {"config.json", "stats.json"}) {
      QVERIFY(QFile::copy(gz_ + QLatin1Char('/') + QLatin1String(f),
                          dir + QLatin1Char('/') + QLatin1String(f)));
    }
    QByteArray bytes = read_all(gz_ + QLatin1Char('/') + file);
    QVERIFY(bytes.size() > 4096);
    if (damage == QStringLiteral("half")) bytes.truncate(bytes.size() / 2);
    if (damage == QStringLiteral("ten")) bytes.truncate(10);
    if (damage == QStringLiteral("flip")) {
      // Compressed bytes past the first blocks' start, inverted: zlib finds bad codes,
      // or at the latest the CRC at the end.
      for (qsizetype i = bytes.size() / 3; i < bytes.size() / 3 + 64; ++i) bytes[i] = ~bytes[i];
    }
    if (damage == QStringLiteral("plain"))
      bytes = read_all(plain_ + QStringLiteral("/trace.jsonl"));
    if (damage == QStringLiteral("empty")) bytes.clear();
    test::write_file(dir + QLatin1Char('/') + file, bytes);
    if (damage == QStringLiteral("garbage")) {
      // Sound gzip around text that is no trace.
      gzFile out = gzopen(QFile::encodeName(dir + QLatin1Char('/') + file).constData(), "wb");
      QVERIFY(out != nullptr);
      const char text[] = "\x01\x02 not a trace line\n{\"seq\":\n";
      QCOMPARE(gzwrite(out, text, sizeof text - 1), static_cast<int>(sizeof text - 1));
      QCOMPARE(gzclose(out), Z_OK);
    }
    for (const QString& path : {dir, dir + QLatin1Char('/') + file}) {
      MainWindow w;
      QVERIFY(!w.open_run(path));
      QVERIFY2(w.banner_text().contains(message), qPrintable(w.banner_text()));
      // Still usable: a good run opens in the same window.
      QVERIFY(w.open_run(gz_));
      QVERIFY(w.banner_text().isEmpty());
    }
  }
};

QTEST_MAIN(TraceGzipTest)
#include "trace_gzip_test.moc"
