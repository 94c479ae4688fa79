// The models over a real run (vmlab run --mode pv --trace): QAbstractItemModelTester on
// each, the filters against a count made straight from the store, the counters against
// stats.json, and payloads decoded with the PV ABI's and the devices' names.
#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

#include "gui/counter_model.h"
#include "gui/event_table_model.h"
#include "gui/run_loader.h"
#include "test_runs.h"

using namespace vmlab;
using namespace vmlab::gui;

class ModelsTest : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  QString pv_, trap_;
  RunDocument doc_;

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(tmp_.isValid());
    pv_ = tmp_.filePath(QStringLiteral("pv"));
    trap_ = tmp_.filePath(QStringLiteral("trap"));
    QString out;
    QVERIFY2(test::make_run(pv_,
                            {QStringLiteral("--mode"), QStringLiteral("pv"),
                             QStringLiteral("--profile"), QStringLiteral("pentium4"),
                             QStringLiteral("--append"), QStringLiteral("run=syscall iters=50")},
                            &out),
             qPrintable(out));
    QVERIFY2(test::make_run(trap_,
                            {QStringLiteral("--mode"), QStringLiteral("trap"),
                             QStringLiteral("--append"), QStringLiteral("run=nullio iters=20")},
                            &out),
             qPrintable(out));
    auto run = load_run(pv_);
    QVERIFY2(run.ok(), run.ok() ? "" : run.error().message.c_str());
    doc_.reset(run.value().summary, std::move(run.value().events), run.value().warnings);
  }

  void loads_what_the_cli_wrote() {
    const QJsonObject stats = test::read_json(pv_ + QStringLiteral("/stats.json"));
    const RunSummary& s = doc_.summary();
    QCOMPARE(s.mode, QStringLiteral("pv"));
    QCOMPARE(s.profile, QStringLiteral("pentium4"));
    QCOMPARE(s.cycles, static_cast<uint64_t>(stats.value(QStringLiteral("cycles")).toDouble()));
    QCOMPARE(doc_.events().size(), static_cast<size_t>(stats.value(QStringLiteral("trace"))
                                                           .toObject()
                                                           .value(QStringLiteral("written"))
                                                           .toDouble()));
    QVERIFY(doc_.warnings().isEmpty());
    // Counters counted from the trace equal stats.json's but for the events recorded while
    // the kernel loaded, before the trace began (events_total - trace.written of them).
    std::array<uint64_t, vmm::kNumEventKinds> count{};
    for (size_t i = 0; i < doc_.events().size(); ++i) ++count[vmm::index_of(doc_.events().kind(i))];
    uint64_t before_trace = 0;
    for (vmm::EventKind k : vmm::all_event_kinds()) {
      QVERIFY(count[vmm::index_of(k)] <= s.count[vmm::index_of(k)]);
      before_trace += s.count[vmm::index_of(k)] - count[vmm::index_of(k)];
    }
    QCOMPARE(before_trace,
             static_cast<uint64_t>(stats.value(QStringLiteral("events_total")).toDouble()) -
                 doc_.events().size());
  }

  void event_table_and_filters() {
    EventTableModel model(&doc_);
    QAbstractItemModelTester t1(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    EventFilterModel filter;
    filter.setSourceModel(&model);
    QAbstractItemModelTester t2(&filter, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const EventStore& s = doc_.events();
    QCOMPARE(model.rowCount(), static_cast<int>(s.size()));

    auto count_if = [&](auto pred) {
      int n = 0;
      for (size_t i = 0; i < s.size(); ++i) n += pred(i) ? 1 : 0;
      return n;
    };
    EventFilterModel::KindSet hypercalls;
    hypercalls.set(vmm::index_of(vmm::EventKind::hypercall));
    filter.set_kinds(hypercalls);
    const int n_hyper = count_if([&](size_t i) { return s.kind(i) == vmm::EventKind::hypercall; });
    QVERIFY(n_hyper > 50);
    QCOMPARE(filter.rowCount(), n_hyper);
    QCOMPARE(n_hyper,
             static_cast<int>(doc_.summary().count[vmm::index_of(vmm::EventKind::hypercall)]));

    filter.set_kinds({});
    filter.set_cpl(3);
    QCOMPARE(filter.rowCount(), count_if([&](size_t i) { return s.cpl(i) == 3; }));
    filter.set_cpl(-1);

    const uint32_t lo = s.eip(s.size() / 2), hi = lo + 0x100;
    filter.set_eip_range(lo, hi);
    QCOMPARE(filter.rowCount(),
             count_if([&](size_t i) { return s.eip(i) >= lo && s.eip(i) <= hi; }));
    filter.set_eip_range(0, 0xFFFFFFFFu);

    filter.set_text(QStringLiteral("mmu_update"));
    const int n_mmu = count_if([&](size_t i) {
      return s.kind(i) == vmm::EventKind::hypercall &&
             s.payload(i)[0] == 1;  // __HYPERVISOR_mmu_update
    });
    QVERIFY(n_mmu > 0);
    QCOMPARE(filter.rowCount(), n_mmu);
    // The row maps back to the store index.
    const auto first = filter.index(0, 0).data(EventTableModel::kEventIndexRole).toULongLong();
    QCOMPARE(filter.row_of_event(first), 0);
    QVERIFY(filter.index(0, EventTableModel::kPayload)
                .data()
                .toString()
                .startsWith(QStringLiteral("mmu_update(")));
    filter.set_text(QString());
    QCOMPARE(filter.rowCount(), static_cast<int>(s.size()));
  }

  void counter_model_matches_stats() {
    CounterModel model(&doc_);
    QAbstractItemModelTester t(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const QJsonObject events = test::read_json(pv_ + QStringLiteral("/stats.json"))
                                   .value(QStringLiteral("events"))
                                   .toObject();
    int nonzero = 0;
    for (auto it = events.begin(); it != events.end(); ++it) {
      if (it.value().toObject().value(QStringLiteral("count")).toDouble() > 0) ++nonzero;
    }
    QCOMPARE(model.rowCount(), nonzero + 1);
    const QLocale locale;
    for (int r = 1; r < model.rowCount(); ++r) {
      const QString kind = model.index(r, CounterModel::kKind).data().toString();
      const QJsonObject e = events.value(kind).toObject();
      QCOMPARE(
          model.index(r, CounterModel::kCount).data().toString(),
          locale.toString(static_cast<qulonglong>(e.value(QStringLiteral("count")).toDouble())));
      QCOMPARE(
          model.index(r, CounterModel::kCycles).data().toString(),
          locale.toString(static_cast<qulonglong>(e.value(QStringLiteral("cycles")).toDouble())));
    }
    // A live update (summaryChanged) keeps the tester satisfied and the rows current.
    RunSummary s = doc_.summary();
    s.count[vmm::index_of(vmm::EventKind::bt_flush)] = 3;
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    doc_.update_summary(s);
    QCOMPARE(reset.count(), 1);
    QCOMPARE(model.rowCount(), nonzero + 2);
  }

  void live_appends_are_row_inserts() {
    RunDocument doc;
    EventTableModel model(&doc);
    QAbstractItemModelTester t(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    EventFilterModel filter;
    filter.setSourceModel(&model);
    QAbstractItemModelTester t2(&filter, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    std::vector<vmm::Event> batch;
    for (uint64_t i = 0; i < 10; ++i) {
      batch.push_back(vmm::Event{
          i, i * 5, 1, 0, {0x3F8, 1, 65, 3}, vmm::EventKind::port_io, 0, vmm::ModeId::native});
    }
    doc.append(batch);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(model.rowCount(), 10);
    QCOMPARE(doc.index().lane_size(Lane::port_io), size_t{10});
    QCOMPARE(model.index(0, EventTableModel::kPayload).data().toString(),
             QStringLiteral("OUT 0x3f8 COM1 UART, 1 byte(s), value 0x41"));
  }

  void vm_exits_are_named_under_vt() {
    auto run = load_run(trap_);
    QVERIFY(run.ok());
    QVERIFY(run.value().summary.decode.vt_exits);
    const EventStore& s = run.value().events;
    bool io_exit = false;
    for (size_t i = 0; i < s.size() && !io_exit; ++i) {
      if (s.kind(i) != vmm::EventKind::trap) continue;
      const QString text = describe_payload(s.kind(i), s.payload(i), run.value().summary.decode);
      io_exit = text.startsWith(QStringLiteral("VM exit: I/O instruction"));
    }
    QVERIFY(io_exit);
    QCOMPARE(hypercall_name(26), QStringLiteral("mmuext_op"));
    QCOMPARE(vector_name(14), QStringLiteral("14 (#PF page fault)"));
  }
};

QTEST_MAIN(ModelsTest)
#include "models_test.moc"
