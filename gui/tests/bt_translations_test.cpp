// A bt run opened from its run directory shows an event's translated code: `vmlab run
// --mode bt --out DIR` writes translations.jsonl (the translation cache as the run ended,
// bt-dump's text per fragment), and the event table shows the fragment an event's EIP lies
// in. A damaged file costs only the translated code; a run of another mode into the same
// directory removes the earlier bt run's file.
#include <QTableView>
#include <QTest>
#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "gui/bt_translations.h"
#include "gui/events_view.h"
#include "gui/main_window.h"
#include "test_runs.h"

using namespace vmlab;
using namespace vmlab::gui;

class BtTranslationsTest : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  QString bt_;

 private Q_SLOTS:
  void initTestCase() {
    bt_ = tmp_.filePath(QStringLiteral("bt"));
    QString out;
    QVERIFY2(test::make_run(bt_,
                            {QStringLiteral("--mode"), QStringLiteral("bt"),
                             QStringLiteral("--profile"), QStringLiteral("pentium4"),
                             QStringLiteral("--append"), QStringLiteral("run=syscall iters=50")},
                            &out),
             qPrintable(out));
  }

  void the_run_directory_holds_the_translations() {
    auto t = BtTranslations::load(bt_ + QStringLiteral("/translations.jsonl"));
    QVERIFY2(t.ok(), t.ok() ? "" : t.error().message.c_str());
    const BtTranslations& record = t.value();
    // A short run: every fragment fits the file's bound.
    QVERIFY(record.fragments_at_end() > 50);
    QCOMPARE(record.written(), record.fragments_at_end());
    for (const auto& f : record.fragments()) {
      QVERIFY(f.tc_start >= BtTranslations::kTranslationCacheBase && f.tc_end > f.tc_start);
      QVERIFY2(f.text.startsWith(QStringLiteral("fragment %1: guest %2")
                                     .arg(f.index)
                                     .arg(f.guest_start, 8, 16, QLatin1Char('0'))),
               qPrintable(f.text));
    }
    // Deterministic: the same run writes the same file.
    const QString again = tmp_.filePath(QStringLiteral("bt-again"));
    QVERIFY(test::make_run(
        again, {QStringLiteral("--mode"), QStringLiteral("bt"), QStringLiteral("--profile"),
                QStringLiteral("pentium4"), QStringLiteral("--append"),
                QStringLiteral("run=syscall iters=50")}));
    QFile a(bt_ + QStringLiteral("/translations.jsonl"));
    QFile b(again + QStringLiteral("/translations.jsonl"));
    QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
    QCOMPARE(a.readAll(), b.readAll());
  }

  // Every event the translated code raised (its EIP in a fragment of the translation
  // cache, past the cache's own routines) finds its fragment, since this run never flushed
  // the cache; selecting one shows the fragment.
  void a_selected_event_shows_its_translated_code() {
    MainWindow w;
    QVERIFY2(w.open_run(bt_), qPrintable(w.banner_text()));
    const RunSummary& s = w.document()->summary();
    QVERIFY(s.translations != nullptr);
    const EventStore& events = w.document()->events();
    QCOMPARE(s.count[vmm::index_of(vmm::EventKind::bt_flush)], uint64_t{0});
    // The fragments' TC ranges in address order: what lies between two is code the run
    // replaced (adaptive retranslation, bt_adapt, records its event inside the old code).
    std::vector<std::pair<uint32_t, uint32_t>> ranges;
    for (const auto& f : s.translations->fragments()) ranges.emplace_back(f.tc_start, f.tc_end);
    std::sort(ranges.begin(), ranges.end());
    const auto gap_of = [&](uint32_t eip) {
      auto it = std::upper_bound(ranges.begin(), ranges.end(), std::make_pair(eip, 0xFFFFFFFFu));
      return it - ranges.begin();  // the fragments starting at or below eip
    };
    std::set<ptrdiff_t> adapted_gaps;
    for (size_t i = 0; i < events.size(); ++i) {
      if (events.kind(i) == vmm::EventKind::bt_adapt)
        adapted_gaps.insert(gap_of(events.event(i).eip));
    }
    size_t in_tc = 0, in_replaced = 0, callout = events.size(), translate = events.size();
    for (size_t i = 0; i < events.size(); ++i) {
      const uint32_t eip = events.event(i).eip;
      if (events.kind(i) == vmm::EventKind::bt_translate && translate == events.size())
        translate = i;
      if (eip < BtTranslations::kTranslationCacheBase) continue;
      const BtTranslations::Fragment* f = s.translations->fragment_at(eip);
      if (eip < ranges.front().first) {  // the cache's own routines, before every fragment
        QVERIFY(f == nullptr);
        continue;
      }
      if (f == nullptr) {
        // Between two fragments: in code a bt_adapt replaced.
        QVERIFY2(adapted_gaps.count(gap_of(eip)) == 1, qPrintable(QString::number(eip, 16)));
        ++in_replaced;
        continue;
      }
      ++in_tc;
      QVERIFY(eip >= f->tc_start && eip < f->tc_end);
      if (callout == events.size() && events.kind(i) == vmm::EventKind::bt_callout) callout = i;
    }
    QVERIFY(in_tc > 1000);
    QVERIFY(in_replaced < in_tc / 100);
    QVERIFY(callout < events.size());
    w.select_event(callout);
    const BtTranslations::Fragment* shown = s.translations->fragment_at(events.event(callout).eip);
    const QString details = w.events()->details_text();
    QVERIFY2(details.contains(QStringLiteral("translated code (fragment %1 of the translation "
                                             "cache as the run ended")
                                  .arg(shown->index)),
             qPrintable(details));
    QVERIFY2(details.contains(shown->text.trimmed()), qPrintable(details));
    QVERIFY(shown->text.contains(QStringLiteral("callout")));
    // The boot code the kernel no longer maps at the end: said so under its fragment.
    size_t unmapped = 0;
    for (const auto& frag : s.translations->fragments()) {
      if (frag.guest_mapped) continue;
      ++unmapped;
      QVERIFY(frag.guest_start < 0xC0000000u);  // not the kernel's high mapping
    }
    QVERIFY(unmapped > 0);
    for (size_t i = 0; i < events.size(); ++i) {
      const BtTranslations::Fragment* frag = s.translations->fragment_at(events.event(i).eip);
      if (frag == nullptr || frag->guest_mapped || events.kind(i) == vmm::EventKind::bt_translate)
        continue;
      w.select_event(i);
      QVERIFY2(w.events()->details_text().contains(
                   QStringLiteral("note: the guest no longer mapped this code when the run ended")),
               qPrintable(w.events()->details_text()));
      break;
    }
    // A translation shows the fragment it made (its guest address), not the lookup routine
    // it was recorded in.
    QVERIFY(translate < events.size());
    w.select_event(translate);
    const BtTranslations::Fragment* made =
        s.translations->fragment_of_guest(events.event(translate).payload[0]);
    QVERIFY(made != nullptr);
    QCOMPARE(made->guest_start, events.event(translate).payload[0]);
    QVERIFY2(w.events()->details_text().contains(made->text.trimmed()),
             qPrintable(w.events()->details_text()));
  }

  void a_damaged_file_costs_only_the_translated_code() {
    const QString dir = tmp_.filePath(QStringLiteral("damaged"));
    QVERIFY(QDir().mkpath(dir));
    for (const char* name : {"config.json", "stats.json", "trace.jsonl"}) {
      QVERIFY(QFile::copy(bt_ + QLatin1Char('/') + QLatin1String(name),
                          dir + QLatin1Char('/') + QLatin1String(name)));
    }
    test::write_file(dir + QStringLiteral("/translations.jsonl"),
                     "{\"schema\":\"vmlab-bt-translations/1\",\"fragments\":2,\"written\":2}\n"
                     "{\"index\":0,\"guest_start\":1}\n");
    MainWindow w;
    QVERIFY(w.open_run(dir));
    QVERIFY2(w.banner_text().contains(QStringLiteral("translations.jsonl, line 2: not a fragment")),
             qPrintable(w.banner_text()));
    QVERIFY(w.document()->events().size() > 0);
    w.select_event(0);
    QVERIFY2(w.events()->details_text().contains(
                 QStringLiteral("translated code: not shown (") + dir +
                 QStringLiteral("/translations.jsonl, line 2: not a fragment")),
             qPrintable(w.events()->details_text()));
    // Not a translations file at all.
    auto bad = BtTranslations::parse("{\"schema\":\"vmlab-stats/1\"}\n", QStringLiteral("x"));
    QVERIFY(!bad.ok());
    QCOMPARE(QString::fromStdString(bad.error().message),
             QStringLiteral("x, line 1: not a vmlab translations file (expected schema "
                            "vmlab-bt-translations/1)"));
    QVERIFY(!BtTranslations::parse("", QStringLiteral("x")).ok());
    QVERIFY(
        !BtTranslations::parse("{\"schema\":\"vmlab-bt-translations/1\",\"fragments\":1}\n[1]\n",
                               QStringLiteral("x"))
             .ok());
  }

  void another_mode_removes_an_earlier_bt_runs_file() {
    const QString dir = tmp_.filePath(QStringLiteral("reused"));
    QVERIFY(
        test::make_run(dir, {QStringLiteral("--mode"), QStringLiteral("bt"),
                             QStringLiteral("--append"), QStringLiteral("run=syscall iters=5")}));
    QVERIFY(QFileInfo::exists(dir + QStringLiteral("/translations.jsonl")));
    QVERIFY(
        test::make_run(dir, {QStringLiteral("--mode"), QStringLiteral("pv"),
                             QStringLiteral("--append"), QStringLiteral("run=syscall iters=5")}));
    QVERIFY(!QFileInfo::exists(dir + QStringLiteral("/translations.jsonl")));
    MainWindow w;
    QVERIFY(w.open_run(dir));
    QVERIFY(w.document()->summary().translations == nullptr);
    QVERIFY(w.document()->summary().translations_note.isEmpty());  // pv: nothing to say
  }
};

QTEST_MAIN(BtTranslationsTest)
#include "bt_translations_test.moc"
