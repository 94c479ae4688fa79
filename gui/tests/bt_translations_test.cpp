// A bt run opened from its run directory shows an event's translated code: `vmlab run
// --mode bt --out DIR` writes translations.jsonl (the translation cache as the run ended,
// and the fragments it dropped on the way, bt-dump's text per fragment), and the event
// table shows the fragment an event's EIP lay in at the event's cycle, a dropped one too.
// A damaged file costs only the translated code; a run of another mode into the same
// directory removes the earlier bt run's file.
#include <QLocale>
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
    // The two fragments adaptive retranslation replaced (the run's two bt_adapt events),
    // first in the file, each with when it went.
    QVERIFY(record.tracks_drops());
    QCOMPARE(record.dropped(), uint64_t{2});
    QCOMPARE(record.dropped_written(), uint64_t{2});
    QCOMPARE(record.fragments().size(), size_t(record.written() + 2));
    for (size_t i = 0; i < 2; ++i) {
      const auto& f = record.fragments()[i];
      QCOMPARE(f.dropped, QStringLiteral("replace"));
      QVERIFY(f.dropped_cycle > 0 && f.dropped_instructions > 0);
      QVERIFY(!f.live_at_end());
    }
    QVERIFY(record.fragments()[0].dropped_cycle <= record.fragments()[1].dropped_cycle);
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
  // cache, past the cache's own routines) finds the fragment live at its cycle, since this
  // run never flushed the cache: those in code a bt_adapt replaced find the replaced
  // fragment, dropped after them; selecting one shows the fragment.
  void a_selected_event_shows_its_translated_code() {
    MainWindow w;
    QVERIFY2(w.open_run(bt_), qPrintable(w.banner_text()));
    const RunSummary& s = w.document()->summary();
    QVERIFY(s.translations != nullptr);
    const EventStore& events = w.document()->events();
    QCOMPARE(s.count[vmm::index_of(vmm::EventKind::bt_flush)], uint64_t{0});
    QCOMPARE(s.count[vmm::index_of(vmm::EventKind::bt_adapt)], uint64_t{2});
    uint32_t first_tc = 0xFFFFFFFFu;
    for (const auto& f : s.translations->fragments()) first_tc = std::min(first_tc, f.tc_start);
    size_t in_tc = 0, in_replaced = 0, callout = events.size(), translate = events.size();
    size_t replaced_event = events.size(), at_retired_entry = events.size();
    for (size_t i = 0; i < events.size(); ++i) {
      const vmm::Event e = events.event(i);
      if (events.kind(i) == vmm::EventKind::bt_translate && translate == events.size())
        translate = i;
      if (e.eip < BtTranslations::kTranslationCacheBase) continue;
      const BtTranslations::Fragment* f = s.translations->fragment_at(e.eip, e.cycle);
      if (e.eip < first_tc) {  // the cache's own routines, before every fragment
        QVERIFY(f == nullptr);
        continue;
      }
      if (f == nullptr) {
        // At the entry of a fragment retired before the event: a jump chained to it landed
        // on the dead entry or forwarding jump the monitor wrote there.
        const BtTranslations::Fragment* r = s.translations->retired_at(e.eip, e.cycle);
        QVERIFY2(r != nullptr, qPrintable(QString::number(e.eip, 16)));
        QVERIFY(e.eip - r->tc_start < 16);
        // (A translation there names the guest code it made instead: shown as such.)
        if (at_retired_entry == events.size() && events.kind(i) != vmm::EventKind::bt_translate &&
            events.kind(i) != vmm::EventKind::bt_adapt) {
          at_retired_entry = i;
        }
        continue;
      }
      QVERIFY(e.eip >= f->tc_start && e.eip < f->tc_end);
      if (!f->live_at_end()) {
        // In code a bt_adapt replaced: the fragment as it was, dropped after the event.
        QCOMPARE(f->dropped, QStringLiteral("replace"));
        QVERIFY(e.cycle <= f->dropped_cycle);
        // Without the event's cycle (the end of the run) it has no fragment there.
        QVERIFY(s.translations->fragment_at(e.eip) == nullptr);
        if (replaced_event == events.size()) replaced_event = i;
        ++in_replaced;
        continue;
      }
      ++in_tc;
      if (callout == events.size() && events.kind(i) == vmm::EventKind::bt_callout) callout = i;
    }
    QVERIFY(in_replaced > 0);
    QVERIFY(in_replaced < in_tc / 100);
    if (at_retired_entry < events.size()) {
      w.select_event(at_retired_entry);
      QVERIFY2(w.events()->details_text().contains(
                   QStringLiteral("which the monitor retired before this event")),
               qPrintable(w.events()->details_text()));
    }
    // Selecting an event of a dropped fragment shows that fragment, and when and why it went.
    w.select_event(replaced_event);
    {
      const vmm::Event e = events.event(replaced_event);
      const BtTranslations::Fragment* f = s.translations->fragment_at(e.eip, e.cycle);
      const QString details = w.events()->details_text();
      QVERIFY2(details.contains(QStringLiteral("translated code (fragment %1 as it was at this "
                                               "event: dropped later, at cycle %2 after %3 "
                                               "instructions, by an adaptive retranslation "
                                               "(replaced); from translations.jsonl")
                                    .arg(f->index)
                                    .arg(QLocale().toString(qulonglong(f->dropped_cycle)))
                                    .arg(QLocale().toString(qulonglong(f->dropped_instructions)))),
               qPrintable(details));
      QVERIFY2(details.contains(f->text.trimmed()), qPrintable(details));
    }
    QVERIFY(in_tc > 1000);
    QVERIFY(in_replaced < in_tc / 100);
    QVERIFY(callout < events.size());
    w.select_event(callout);
    const BtTranslations::Fragment* shown =
        s.translations->fragment_at(events.event(callout).eip, events.event(callout).cycle);
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
      const BtTranslations::Fragment* frag =
          s.translations->fragment_at(events.event(i).eip, events.event(i).cycle);
      if (frag == nullptr || frag->guest_mapped || events.kind(i) == vmm::EventKind::bt_translate)
        continue;
      w.select_event(i);
      QVERIFY2(w.events()->details_text().contains(
                   QStringLiteral("note: the guest no longer mapped this code then")),
               qPrintable(w.events()->details_text()));
      break;
    }
    // A translation shows the fragment it made (its guest address), not the lookup routine
    // it was recorded in.
    QVERIFY(translate < events.size());
    w.select_event(translate);
    const BtTranslations::Fragment* made = s.translations->fragment_of_guest(
        events.event(translate).payload[0], events.event(translate).cycle);
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
                            "vmlab-bt-translations/2)"));
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
