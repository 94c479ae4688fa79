// The Migration tab over a real live migration between two vmlab processes (docs/
// migration.md): both sides' run directories plot exactly the pages per round their
// stats.json holds; fields the GUI does not know, or of the wrong type, cost nothing.
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QJsonArray>
#include <QRegularExpression>
#include <QTest>

#include "gui/main_window.h"
#include "gui/migration_view.h"
#include "test_runs.h"

using namespace vmlab::gui;

namespace {

QBarSeries* bars_of(QChart* chart) {
  const auto series = chart->series();
  return series.size() == 1 ? qobject_cast<QBarSeries*>(series[0]) : nullptr;
}

QStringList categories_of(QChart* chart) {
  for (QAbstractAxis* axis : chart->axes(Qt::Horizontal)) {
    if (auto* c = qobject_cast<QBarCategoryAxis*>(axis)) return c->categories();
  }
  return {};
}

QList<qreal> values_of(QBarSet* set) {
  QList<qreal> out;
  for (int i = 0; i < set->count(); ++i) out << set->at(i);
  return out;
}

}  // namespace

class MigrationViewTest : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  QString src_, dst_;

 private Q_SLOTS:
  void initTestCase() {
    src_ = tmp_.filePath(QStringLiteral("src"));
    dst_ = tmp_.filePath(QStringLiteral("dst"));
    QProcess listen;
    listen.setStandardInputFile(QProcess::nullDevice());
    listen.setStandardOutputFile(QProcess::nullDevice());
    listen.start(QStringLiteral(VMLAB_CLI), {QStringLiteral("migrate-listen"), QStringLiteral("0"),
                                             QStringLiteral("--out"), dst_});
    QVERIFY(listen.waitForStarted());
    // "migrate: listening on 127.0.0.1:N" on stderr.
    QString said;
    QString port;
    const QRegularExpression line(QStringLiteral("migrate: listening on 127\\.0\\.0\\.1:(\\d+)"));
    for (int i = 0; i < 600 && port.isEmpty(); ++i) {
      listen.waitForReadyRead(100);
      said += QString::fromLocal8Bit(listen.readAllStandardError());
      if (const auto m = line.match(said); m.hasMatch()) port = m.captured(1);
    }
    QVERIFY2(!port.isEmpty(), qPrintable(said));
    QProcess source;
    source.setStandardInputFile(QProcess::nullDevice());
    source.setProcessChannelMode(QProcess::MergedChannels);
    source.start(
        QStringLiteral(VMLAB_CLI),
        {QStringLiteral("run"), QStringLiteral("-q"), QStringLiteral("--memory"),
         QStringLiteral("32"), QStringLiteral("--append"), QStringLiteral("run=compute iters=40"),
         QStringLiteral("--out"), src_, QStringLiteral("--migrate-to"),
         QStringLiteral("127.0.0.1:") + port, QStringLiteral("--migrate-at"),
         QStringLiteral("2000000"), QStringLiteral("--migrate-threshold"), QStringLiteral("4"),
         QStringLiteral(VMLAB_TEST_KERNEL)});
    QVERIFY(source.waitForFinished(240000));
    QVERIFY2(source.exitCode() == 0, qPrintable(QString::fromLocal8Bit(source.readAll())));
    QVERIFY(listen.waitForFinished(240000));
    QVERIFY2(listen.exitCode() == 0, qPrintable(QString::fromLocal8Bit(listen.readAll())));
  }

  // The source: per pre-copy round the pages sent and dirtied, then stop-and-copy.
  void the_source_plots_its_rounds() {
    const QJsonObject m = test::read_json(src_ + QStringLiteral("/stats.json"))
                              .value(QStringLiteral("migration"))
                              .toObject();
    const QJsonArray rounds = m.value(QStringLiteral("rounds")).toArray();
    QVERIFY(rounds.size() >= 2);  // pre-copy went on after round 0
    QStringList categories;
    QList<qreal> sent, dirtied;
    for (const QJsonValue& v : rounds) {
      const QJsonObject r = v.toObject();
      categories << QString::number(r.value(QStringLiteral("round")).toInt());
      sent << r.value(QStringLiteral("pages_sent")).toDouble();
      dirtied << r.value(QStringLiteral("pages_dirtied")).toDouble();
    }
    categories << QStringLiteral("stop-and-copy");
    sent << m.value(QStringLiteral("stop_copy_pages")).toDouble();
    dirtied << 0;

    MainWindow w;
    QVERIFY2(w.open_run(src_), qPrintable(w.banner_text()));
    QChart* chart = w.migration()->chart();
    QBarSeries* bars = bars_of(chart);
    QVERIFY(bars != nullptr);
    QCOMPARE(bars->count(), 2);
    QCOMPARE(bars->barSets()[0]->label(), QStringLiteral("pages sent"));
    QCOMPARE(bars->barSets()[1]->label(),
             QStringLiteral("pages dirtied while the round went over"));
    QCOMPARE(categories_of(chart), categories);
    QCOMPARE(values_of(bars->barSets()[0]), sent);
    QCOMPARE(values_of(bars->barSets()[1]), dirtied);
    const QString heading = w.migration()->heading_text();
    QVERIFY2(heading.contains(QStringLiteral("source side")), qPrintable(heading));
    QVERIFY2(heading.contains(QStringLiteral("pre-copy stopped: ") +
                              m.value(QStringLiteral("stop_reason")).toString()),
             qPrintable(heading));
  }

  // The destination: the pages it received per round, which are the source's sent ones.
  void the_destination_plots_what_it_received() {
    const QJsonObject src = test::read_json(src_ + QStringLiteral("/stats.json"))
                                .value(QStringLiteral("migration"))
                                .toObject();
    QList<qreal> sent;
    for (const QJsonValue& v : src.value(QStringLiteral("rounds")).toArray()) {
      sent << v.toObject().value(QStringLiteral("pages_sent")).toDouble();
    }
    sent << src.value(QStringLiteral("stop_copy_pages")).toDouble();
    MainWindow w;
    QVERIFY2(w.open_run(dst_), qPrintable(w.banner_text()));
    QBarSeries* bars = bars_of(w.migration()->chart());
    QVERIFY(bars != nullptr);
    QCOMPARE(bars->count(), 1);  // no dirtied pages on this side
    QCOMPARE(bars->barSets()[0]->label(), QStringLiteral("pages received"));
    QCOMPARE(values_of(bars->barSets()[0]), sent);
    QCOMPARE(categories_of(w.migration()->chart()).last(), QStringLiteral("stop-and-copy"));
    QVERIFY(w.migration()->heading_text().contains(QStringLiteral("destination side")));
  }

  // Fields added later (per-mode tracking figures) are ignored; a round whose pages are not
  // a count is left out; a "migration" that is not an object is no migration.
  void unknown_and_mistyped_fields_cost_nothing() {
    const QString dir = tmp_.filePath(QStringLiteral("edited"));
    QVERIFY(QDir().mkpath(dir));
    QVERIFY(
        QFile::copy(src_ + QStringLiteral("/config.json"), dir + QStringLiteral("/config.json")));
    QJsonObject stats = test::read_json(src_ + QStringLiteral("/stats.json"));
    QJsonObject m = stats.value(QStringLiteral("migration")).toObject();
    QJsonArray rounds = m.value(QStringLiteral("rounds")).toArray();
    const int n = static_cast<int>(rounds.size());
    QJsonObject first = rounds[0].toObject();
    first.insert(QStringLiteral("tracking"),
                 QJsonObject{{QStringLiteral("mode"), QStringLiteral("trap")},
                             {QStringLiteral("pt_writes"), 12}});
    first.insert(QStringLiteral("pages_dirtied_by_kind"), QJsonArray{1, 2, 3});
    rounds[0] = first;
    QJsonObject second = rounds[1].toObject();
    second.insert(QStringLiteral("pages_sent"), QStringLiteral("many"));
    rounds[1] = second;
    m.insert(QStringLiteral("rounds"), rounds);
    m.insert(QStringLiteral("dirty_tracking"), QStringLiteral("write-protect"));
    stats.insert(QStringLiteral("migration"), m);
    test::write_file(dir + QStringLiteral("/stats.json"), QJsonDocument(stats).toJson());
    MainWindow w;
    QVERIFY2(w.open_run(dir), qPrintable(w.banner_text()));
    QBarSeries* bars = bars_of(w.migration()->chart());
    QVERIFY(bars != nullptr);
    // Round 1 left out; the others and stop-and-copy are there.
    QCOMPARE(bars->barSets()[0]->count(), n - 1 + 1);
    QCOMPARE(categories_of(w.migration()->chart()).first(), QStringLiteral("0"));
    QVERIFY(!categories_of(w.migration()->chart()).contains(QStringLiteral("1")));

    stats.insert(QStringLiteral("migration"), 5);
    test::write_file(dir + QStringLiteral("/stats.json"), QJsonDocument(stats).toJson());
    QVERIFY2(w.open_run(dir), qPrintable(w.banner_text()));
    QVERIFY(w.migration()->chart()->series().isEmpty());
    QVERIFY(w.migration()->heading_text().startsWith(QStringLiteral("This run was not migrated")));
  }
};

QTEST_MAIN(MigrationViewTest)
#include "migration_view_test.moc"
