// The event store and the trace.jsonl scanner: columns, seq bookkeeping, and every
// malformed line rejected with the column or field that is wrong.
#include <QTest>

#include "gui/event_store.h"
#include "gui/trace_line_parser.h"

using namespace vmlab;
using namespace vmlab::gui;

class EventStoreTest : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void columns_and_lookup() {
    EventStore s;
    for (uint64_t i = 0; i < 5; ++i) {
      s.append(vmm::Event{10 + i,
                          100 * i,
                          i,
                          0x1000u + static_cast<uint32_t>(i),
                          {1, 2, 3, static_cast<uint32_t>(i)},
                          vmm::EventKind::hypercall,
                          static_cast<uint8_t>(i % 4),
                          vmm::ModeId::pv});
    }
    QCOMPARE(s.size(), size_t{5});
    QCOMPARE(s.seq(3), uint64_t{13});
    QCOMPARE(s.cycle(4), uint64_t{400});
    QCOMPARE(s.charged(4), uint32_t{4});
    QCOMPARE(s.eip(2), uint32_t{0x1002});
    QCOMPARE(s.payload(3)[3], uint32_t{3});
    QCOMPARE(s.cpl(3), uint8_t{3});
    QCOMPARE(s.lower_bound(150), size_t{2});
    QCOMPARE(s.lower_bound(500), size_t{5});
    QCOMPARE(s.end_cycle(), uint64_t{404});
  }

  void seq_gap_materializes_the_column() {
    EventStore s;
    s.append(vmm::Event{0, 0, 0, 0, {}, vmm::EventKind::trap, 0, vmm::ModeId::trap});
    s.append(vmm::Event{1, 1, 0, 0, {}, vmm::EventKind::trap, 0, vmm::ModeId::trap});
    s.append(vmm::Event{7, 2, 0, 0, {}, vmm::EventKind::trap, 0, vmm::ModeId::trap});
    QCOMPARE(s.seq(0), uint64_t{0});
    QCOMPARE(s.seq(1), uint64_t{1});
    QCOMPARE(s.seq(2), uint64_t{7});
  }

  void charge_saturates() {
    EventStore s;
    s.append(
        vmm::Event{0, 0, uint64_t{1} << 40, 0, {}, vmm::EventKind::trap, 0, vmm::ModeId::trap});
    QCOMPARE(s.charged(0), uint32_t{0xFFFFFFFF});
    QCOMPARE(s.end_cycle(), uint64_t{1} << 40);
  }

  void parses_the_documented_line() {
    // The example of docs/trace-format.md.
    const std::string line =
        "{\"seq\":0,\"cycle\":15,\"kind\":\"port_io\",\"kind_id\":14,\"mode\":\"native\",\"eip\":"
        "1048693,\"cpl\":0,\"charged\":0,\"args\":{\"port\":1017,\"size\":1,\"value\":0,\"flags\":"
        "3}}";
    vmm::Event e{};
    std::string error;
    QVERIFY2(parse_trace_line(line, e, error), error.c_str());
    QCOMPARE(e.seq, uint64_t{0});
    QCOMPARE(e.cycle, uint64_t{15});
    QCOMPARE(e.kind, vmm::EventKind::port_io);
    QCOMPARE(e.eip, uint32_t{1048693});
    QCOMPARE(e.payload[0], uint32_t{1017});
    QCOMPARE(e.payload[1], uint32_t{1});
    QCOMPARE(e.payload[3], uint32_t{3});
  }

  void rejects_malformed_lines_data() {
    QTest::addColumn<QString>("line");
    QTest::addColumn<QString>("error");
    QTest::newRow("empty object") << "{}"
                                  << "missing one of";
    QTest::newRow("not an object") << "[1,2]"
                                   << "expected '{' at column 1";
    QTest::newRow("truncated") << "{\"seq\":0,\"cycle\":15,\"kind\":\"port_io\",\"kind_id\":14,\"mo"
                               << "expected";
    QTest::newRow("negative")
        << "{\"seq\":-1,\"cycle\":15,\"kind_id\":14,\"eip\":1,\"cpl\":0,\"charged\":0,\"args\":{}}"
        << "expected an unsigned integer";
    QTest::newRow("unknown kind")
        << "{\"seq\":0,\"cycle\":15,\"kind_id\":99,\"eip\":1,\"cpl\":0,\"charged\":0,\"args\":{}}"
        << "unknown kind_id 99";
    QTest::newRow("kind name mismatch") << "{\"seq\":0,\"cycle\":15,\"kind\":\"trap\",\"kind_id\":"
                                           "14,\"eip\":1,\"cpl\":0,\"charged\":0,\"args\":{}}"
                                        << "does not match kind_id 14";
    QTest::newRow("bad cpl")
        << "{\"seq\":0,\"cycle\":15,\"kind_id\":14,\"eip\":1,\"cpl\":7,\"charged\":0,\"args\":{}}"
        << "cpl above 3";
    QTest::newRow("foreign arg") << "{\"seq\":0,\"cycle\":15,\"kind_id\":14,\"eip\":1,\"cpl\":0,"
                                    "\"charged\":0,\"args\":{\"vector\":3}}"
                                 << "\"vector\" is not a field of port_io";
    QTest::newRow("arg too wide") << "{\"seq\":0,\"cycle\":15,\"kind_id\":14,\"eip\":1,\"cpl\":0,"
                                     "\"charged\":0,\"args\":{\"port\":4294967296}}"
                                  << "arg above 32 bits";
    QTest::newRow("trailing garbage")
        << "{\"seq\":0,\"cycle\":15,\"kind_id\":14,\"eip\":1,\"cpl\":0,\"charged\":0,\"args\":{}} x"
        << "text after the object";
  }
  void rejects_malformed_lines() {
    QFETCH(QString, line);
    QFETCH(QString, error);
    vmm::Event e{};
    std::string why;
    QVERIFY(!parse_trace_line(line.toStdString(), e, why));
    QVERIFY2(QString::fromStdString(why).contains(error), why.c_str());
  }
};

QTEST_GUILESS_MAIN(EventStoreTest)
#include "event_store_test.moc"
