// Running the guest from the GUI (offscreen): the Run panel's counts equal `vmlab run`'s
// for the same options; a run paused, resumed and stepped ends exactly as an uninterrupted
// one; single steps land on the EIPs a run_for of the same length reaches, starting at the
// kernel's entry point; keys typed into the console pane reach the guest's shell while it
// runs, and its answers appear in the pane; long lines wrap in it.
#include <QAbstractItemModelTester>
#include <QApplication>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QTest>
#include <QTextBlock>
#include <QTextLayout>
#include <algorithm>

#include "gui/bt_translations.h"
#include "gui/counter_model.h"
#include "gui/events_view.h"
#include "gui/inspection_views.h"
#include "gui/live_run.h"
#include "gui/main_window.h"
#include "gui/run_panel.h"
#include "test_runs.h"

using namespace vmlab;
using namespace vmlab::gui;

namespace {

LiveRunOptions pv_syscall() {
  LiveRunOptions o;
  o.kernel = QStringLiteral(VMLAB_TEST_KERNEL);
  o.append = QStringLiteral("run=syscall iters=100");
  o.mode = ModeVariant::pv;
  o.profile = QStringLiteral("pentium4");
  return o;
}

// Drives a LiveRun until its worker is idle, collecting what it produced.
LiveStatus settle(LiveRun& run, std::vector<vmm::Event>& all, std::string& console) {
  LiveStatus s;
  std::vector<vmm::Event> events;
  std::string text;
  for (int i = 0; i < 12000; ++i) {
    const bool busy = run.busy();
    s = run.take(events, text);
    all.insert(all.end(), events.begin(), events.end());
    console += text;
    if (!busy) break;
    QTest::qWait(10);
  }
  return s;
}

uint32_t elf_entry(const QString& file) {
  QFile f(file);
  if (!f.open(QIODevice::ReadOnly)) return 0;
  const QByteArray h = f.read(28);
  if (h.size() < 28) return 0;
  return static_cast<uint8_t>(h[24]) | static_cast<uint8_t>(h[25]) << 8 |
         static_cast<uint8_t>(h[26]) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(h[27])) << 24;
}

}  // namespace

class LiveRunTest : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;

 private Q_SLOTS:
  void gui_run_counts_equal_vmlab_run() {
    const QString dir = tmp_.filePath(QStringLiteral("cli"));
    QString out;
    QVERIFY2(test::make_run(dir,
                            {QStringLiteral("--mode"), QStringLiteral("pv"),
                             QStringLiteral("--profile"), QStringLiteral("pentium4"),
                             QStringLiteral("--append"), QStringLiteral("run=syscall iters=100")},
                            &out),
             qPrintable(out));
    const QJsonObject stats = test::read_json(dir + QStringLiteral("/stats.json"));

    MainWindow w;
    RunPanel* panel = w.run_panel();
    panel->set_options(pv_syscall());
    panel->resume();
    QTRY_VERIFY_WITH_TIMEOUT(!panel->busy() && panel->status().state == vmm::VmState::kStopped,
                             120000);
    panel->poll();
    const RunSummary& s = w.document()->summary();
    const QJsonObject events = stats.value(QStringLiteral("events")).toObject();
    for (vmm::EventKind k : vmm::all_event_kinds()) {
      const QJsonObject e =
          events.value(QString::fromLatin1(vmm::event_kind_name(k).data())).toObject();
      QCOMPARE(s.count[vmm::index_of(k)],
               static_cast<uint64_t>(e.value(QStringLiteral("count")).toDouble()));
      QCOMPARE(s.charged[vmm::index_of(k)],
               static_cast<uint64_t>(e.value(QStringLiteral("cycles")).toDouble()));
    }
    QCOMPARE(s.cycles, static_cast<uint64_t>(stats.value(QStringLiteral("cycles")).toDouble()));
    QCOMPARE(s.instructions,
             static_cast<uint64_t>(stats.value(QStringLiteral("instructions")).toDouble()));
    // The timeline holds what a trace holds (trace.jsonl: from the end of the kernel load).
    QCOMPARE(w.document()->events().size(),
             static_cast<size_t>(stats.value(QStringLiteral("trace"))
                                     .toObject()
                                     .value(QStringLiteral("written"))
                                     .toDouble()));
    // The event table's count follows the rows a live run appends.
    const qsizetype n = static_cast<qsizetype>(w.document()->events().size());
    QCOMPARE(w.events()->count_text(), QStringLiteral("%1 of %1 traced events shown").arg(n));
    QVERIFY(panel->console_text().contains(QStringLiteral("result workload=syscall")));
    // The live counters table shows the same figures (and passes the model tester).
    QAbstractItemModelTester t(panel->counters(),
                               QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVERIFY(panel->counters()->rowCount() > 3);
  }

  // The console pane wraps a long line at its edge, as a terminal does: the guest's result
  // line is whole on screen in a pane narrower than it, nothing is hidden to the right.
  void long_console_lines_wrap() {
    MainWindow w;
    w.resize(900, 600);
    w.show_view(MainWindow::View::run);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    RunPanel* panel = w.run_panel();
    panel->set_options(pv_syscall());
    panel->resume();
    QTRY_VERIFY_WITH_TIMEOUT(!panel->busy() && panel->status().state == vmm::VmState::kStopped,
                             120000);
    panel->poll();
    QPlainTextEdit* console = panel->console();
    QTRY_VERIFY(console->isVisible());
    QApplication::processEvents();
    const int width = console->viewport()->width();
    QVERIFY(width > 100);
    QTextBlock result;
    for (QTextBlock b = console->document()->begin(); b.isValid(); b = b.next()) {
      if (b.text().startsWith(QStringLiteral("result workload=syscall"))) result = b;
      QTextLayout* layout = b.layout();
      QVERIFY(layout != nullptr);
      for (int l = 0; l < layout->lineCount(); ++l) {
        // Inside the pane and clear of its edges.
        QVERIFY2(layout->lineAt(l).naturalTextWidth() <=
                     width - 2 * console->document()->documentMargin(),
                 qPrintable(QStringLiteral("%1 px wide in a %2 px pane: %3")
                                .arg(layout->lineAt(l).naturalTextWidth())
                                .arg(width)
                                .arg(b.text())));
      }
    }
    QVERIFY(result.isValid());
    // The line is wider than the pane: it took more than one screen line.
    QVERIFY(console->fontMetrics().horizontalAdvance(result.text()) > width);
    QVERIFY(result.layout()->lineCount() >= 2);
    QCOMPARE(console->horizontalScrollBar()->maximum(), 0);
  }

  void pause_resume_and_steps_change_nothing() {
    // Uninterrupted.
    LiveRun whole;
    QString error;
    QVERIFY2(whole.start(pv_syscall(), error), qPrintable(error));
    std::vector<vmm::Event> a;
    std::string console_a;
    whole.resume();
    const LiveStatus sa = settle(whole, a, console_a);
    QCOMPARE(sa.state, vmm::VmState::kStopped);

    // Steps, a pause in the middle of a resume, more steps, resume to the end.
    LiveRun split;
    QVERIFY2(split.start(pv_syscall(), error), qPrintable(error));
    std::vector<vmm::Event> b;
    std::string console_b;
    split.step();
    split.step();
    split.step(1000);
    LiveStatus sb = settle(split, b, console_b);
    QCOMPARE(sb.state, vmm::VmState::kPaused);
    split.resume();
    QTest::qWait(5);
    split.pause();
    sb = settle(split, b, console_b);
    QVERIFY(sb.state == vmm::VmState::kPaused || sb.state == vmm::VmState::kStopped);
    split.step(7);
    split.resume();
    sb = settle(split, b, console_b);
    QCOMPARE(sb.state, vmm::VmState::kStopped);

    QCOMPARE(sb.instructions, sa.instructions);
    QCOMPARE(sb.cycles, sa.cycles);
    QCOMPARE(console_b, console_a);
    QCOMPARE(b.size(), a.size());
    for (size_t i = 0; i < a.size(); ++i) {
      QCOMPARE(b[i].seq, a[i].seq);
      QCOMPARE(b[i].cycle, a[i].cycle);
      QCOMPARE(b[i].kind, a[i].kind);
      QCOMPARE(b[i].payload, a[i].payload);
    }
  }

  void step_button_steps_one_guest_instruction_in_every_mode() {
    // The Run panel's Step button, clicked: under trap classic (CLI emulated by the
    // monitor) and bt (translated code) each click is one guest instruction, so the EIPs
    // shown are native's, click by click, from the entry (the whole boot code in every
    // mode: modes/tests/guest_step_test.cpp).
    constexpr int kClicks = 30;  // CLI (emulated under classic) and REP STOSB's chunks
    // Clicks Step kClicks times; the guest EIP after each (fewer when the run stopped).
    auto clicks = [](ModeVariant mode, std::vector<uint32_t>& eips) {
      MainWindow w;
      RunPanel* panel = w.run_panel();
      LiveRunOptions o = pv_syscall();
      o.mode = mode;
      panel->set_options(o);
      for (int i = 0; i < kClicks; ++i) {
        QTRY_VERIFY_WITH_TIMEOUT(!panel->busy(), 10000);
        QTest::mouseClick(panel->step_button(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!panel->busy(), 10000);
        panel->poll();
        if (panel->status().state != vmm::VmState::kPaused) return;
        QVERIFY(panel->step_button()->isEnabled());
        eips.push_back(panel->status().guest_eip);
      }
    };
    std::vector<uint32_t> native;
    clicks(ModeVariant::native, native);
    QCOMPARE(native.size(), size_t{kClicks});
    for (ModeVariant m : {ModeVariant::trap_classic, ModeVariant::bt}) {
      std::vector<uint32_t> got;
      clicks(m, got);
      QVERIFY2(got == native, qPrintable(variant_label(m)));
    }
  }

  void status_line_says_what_it_counts_data() {
    QTest::addColumn<int>("mode");
    QTest::addColumn<int>("steps");
    QTest::addColumn<QString>("events");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<QString>("language");
    // bt: five guest instructions took twelve of the translated code's.
    QTest::newRow("bt") << static_cast<int>(ModeVariant::bt) << 5 << QStringLiteral("8")
                        << QStringLiteral(
                               "Paused at guest EIP 0x0010001b · guest instructions run by "
                               "Step: 5 · instructions retired on the processor: 12 · modeled "
                               "cycles: 90,966 · events since boot: 8")
                        << QStringLiteral("en");
    QTest::newRow("bt, Swedish")
        << static_cast<int>(ModeVariant::bt) << 5 << QStringLiteral("8")
        << QStringLiteral(
               "Pausad vid gästens EIP 0x0010001b · gästinstruktioner körda med Stega: 5 · "
               "instruktioner utförda på processorn: 12 · modellerade cykler: 90,966 · "
               "händelser sedan start: 8")
        << QStringLiteral("sv");
    // trap classic: cmp, jne and the cli the monitor emulates (it does not retire).
    QTest::newRow("trap classic")
        << static_cast<int>(ModeVariant::trap_classic) << 3 << QStringLiteral("7")
        << QStringLiteral(
               "Paused at guest EIP 0x00100018 · guest instructions run by Step: 3 · "
               "instructions retired on the processor: 2 · modeled cycles: 5,642 · events "
               "since boot: 7")
        << QStringLiteral("en");
  }
  // After N presses of Step, the Run tab's status line names each figure for what it is
  // counted over: N guest instructions; the processor's instructions (under bt those of the
  // translated code, under trap classic without the emulated CLI); and the events since
  // boot, as the counter table's total row.
  void status_line_says_what_it_counts() {
    QFETCH(int, mode);
    QFETCH(int, steps);
    QFETCH(QString, events);
    QFETCH(QString, expected);
    QFETCH(QString, language);
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    MainWindow w;
    w.set_language(language);
    RunPanel* panel = w.run_panel();
    LiveRunOptions o = pv_syscall();
    o.mode = static_cast<ModeVariant>(mode);
    panel->set_options(o);
    for (int i = 0; i < steps; ++i) {
      QTRY_VERIFY_WITH_TIMEOUT(!panel->busy(), 10000);
      QTest::mouseClick(panel->step_button(), Qt::LeftButton);
      QTRY_VERIFY_WITH_TIMEOUT(!panel->busy(), 10000);
      panel->poll();
    }
    QCOMPARE(panel->status().state, vmm::VmState::kPaused);
    QCOMPARE(panel->status().guest_steps, static_cast<uint64_t>(steps));
    const QAbstractItemModel* counters = panel->counters();
    QCOMPARE(counters->index(0, CounterModel::kKind).data().toString(),
             language == QStringLiteral("sv") ? QStringLiteral("alla händelser sedan start")
                                              : QStringLiteral("all events since boot"));
    QCOMPARE(counters->index(0, CounterModel::kCount).data().toString(), events);
    QCOMPARE(panel->state_text(), expected);
    w.set_language(QStringLiteral("en"));
    QLocale::setDefault(QLocale::system());
  }

  void steps_land_on_exact_eips() {
    LiveRunOptions o = pv_syscall();
    o.mode = ModeVariant::native;
    LiveRun stepped, jumped;
    QString error;
    QVERIFY2(stepped.start(o, error), qPrintable(error));
    QVERIFY2(jumped.start(o, error), qPrintable(error));
    std::vector<vmm::Event> ev;
    std::string text;
    // Native boots at the Multiboot entry: the ELF entry point.
    stepped.step();
    LiveStatus s = settle(stepped, ev, text);
    QCOMPARE(s.state, vmm::VmState::kPaused);
    QCOMPARE(s.instructions, uint64_t{1});
    const uint32_t entry = elf_entry(o.kernel);
    QVERIFY(entry != 0);
    QVERIFY2(s.guest_eip != entry, "one instruction retired: EIP moved on from the entry");
    std::vector<uint32_t> eips{s.guest_eip};
    for (int i = 0; i < 49; ++i) {
      stepped.step();
      s = settle(stepped, ev, text);
      QCOMPARE(s.instructions, uint64_t(i + 2));
      eips.push_back(s.guest_eip);
    }
    // run_for(n) from the start lands where n single steps did, for several n.
    uint64_t done = 0;
    for (uint64_t n : {1, 2, 10, 50}) {
      jumped.run_for(n - done);
      done = n;
      const LiveStatus j = settle(jumped, ev, text);
      QCOMPARE(j.instructions, n);
      QCOMPARE(j.guest_eip, eips[n - 1]);
    }
  }

  // Lab 03's GUI steps (labs/03-shadow-paging/README.md, "In the GUI"), as the handout
  // tells them: paused before the pagefault process's first store, Run to next true_fault
  // (no row for 0x40000000 yet), guest_pt_write (the directory entry of the page's new
  // table; still no row), then hidden_fault twice: the second is the one at 0x40000000,
  // and the row is there with its shadow entry filled.
  void lab03_follows_a_page_through_its_faults() {
    LiveRunOptions o;
    o.kernel = QStringLiteral(VMLAB_TEST_KERNEL);
    o.append = QStringLiteral("run=pagefault iters=4");
    o.mode = ModeVariant::trap_classic;
    LiveRun run;
    QString error;
    QVERIFY2(run.start(o, error), qPrintable(error));
    std::vector<vmm::Event> ev;
    std::string text;
    constexpr uint32_t kPage = 0x40000000;
    auto row = [](const LiveStatus& s) -> const vmm::PageRow* {
      for (const vmm::PageRow& r : s.inspection->pages) {
        if (r.linear == kPage) return &r;
      }
      return nullptr;
    };
    run.run_for(1950000);
    QCOMPARE(settle(run, ev, text).state, vmm::VmState::kPaused);
    run.run_to_next(vmm::EventKind::true_fault);
    LiveStatus s = settle(run, ev, text);
    QCOMPARE(s.state, vmm::VmState::kPaused);
    const auto last = [&ev](vmm::EventKind kind) {
      return *std::find_if(ev.rbegin(), ev.rend(),
                           [kind](const vmm::Event& e) { return e.kind == kind; });
    };
    QCOMPARE(last(vmm::EventKind::true_fault).payload[0], kPage);
    QVERIFY(row(s) == nullptr);
    // The directory entry of a new page table: in the traced directory, so it traps; the
    // page's own PTE (in the new table, not shadowed yet) is not written yet.
    run.run_to_next(vmm::EventKind::guest_pt_write);
    s = settle(run, ev, text);
    const vmm::Event pde = last(vmm::EventKind::guest_pt_write);
    QCOMPARE(pde.payload[0] & 0xFFFu, (kPage >> 22) * 4);
    QCOMPARE(pde.payload[1] & 7u, 7u);  // present, writable, user
    QVERIFY(row(s) == nullptr);
    int presses = 0;
    do {
      run.run_to_next(vmm::EventKind::hidden_fault);
      s = settle(run, ev, text);
      ++presses;
    } while (last(vmm::EventKind::hidden_fault).payload[0] != kPage && presses < 20);
    QCOMPARE(presses, 2);  // one of the guest kernel's own pages first
    const vmm::PageRow* r = row(s);
    QVERIFY(r != nullptr);
    QVERIFY(r->guest_address.has_value());
    QVERIFY(r->machine_address.has_value());
  }

  void run_to_next_hypercall() {
    LiveRun run;
    QString error;
    QVERIFY2(run.start(pv_syscall(), error), qPrintable(error));
    run.run_to_next(vmm::EventKind::hypercall);
    std::vector<vmm::Event> ev;
    std::string text;
    const LiveStatus s = settle(run, ev, text);
    QCOMPARE(s.state, vmm::VmState::kPaused);
    size_t hypercalls = 0;
    for (const vmm::Event& e : ev) hypercalls += e.kind == vmm::EventKind::hypercall ? 1 : 0;
    // Paused right after the first hypercall: it is the run's one hypercall so far, and
    // nothing after it but what its own instruction recorded.
    QCOMPARE(hypercalls, size_t{1});
    QCOMPARE(ev.back().eip, std::find_if(ev.begin(), ev.end(), [](const vmm::Event& e) {
                              return e.kind == vmm::EventKind::hypercall;
                            })->eip);
    // Paused, not stopped: resuming runs the guest to its end.
    run.resume();
    QCOMPARE(settle(run, ev, text).state, vmm::VmState::kStopped);
    QVERIFY(QString::fromStdString(text).contains(QStringLiteral("result workload=syscall")));
  }

  void typing_into_the_running_shell_data() {
    QTest::addColumn<int>("mode");
    QTest::newRow("native") << static_cast<int>(ModeVariant::native);
    QTest::newRow("trap_vt") << static_cast<int>(ModeVariant::trap_vt);
  }

  // The guest OS booted without run= runs its shell; the test types into the console pane
  // as a user would and waits for the answers (on the pane's contents, not on a timer).
  void typing_into_the_running_shell() {
    QFETCH(int, mode);
    MainWindow w;
    RunPanel* panel = w.run_panel();
    LiveRunOptions o;
    o.kernel = QStringLiteral(VMLAB_TEST_KERNEL);
    o.mode = static_cast<ModeVariant>(mode);
    panel->set_options(o);
    panel->resume();
    QTRY_VERIFY2_WITH_TIMEOUT(panel->console_text().contains(QStringLiteral("vmlab$ ")),
                              qPrintable(panel->console_text()), 60000);
    QVERIFY(panel->busy());  // the guest runs on, waiting for keys

    QTest::keyClicks(panel->console(), QStringLiteral("hepl"));
    QTest::keyClick(panel->console(), Qt::Key_Backspace);
    QTest::keyClick(panel->console(), Qt::Key_Backspace);
    QTest::keyClicks(panel->console(), QStringLiteral("lp"));
    QTest::keyClick(panel->console(), Qt::Key_Return);
    // The shell echoes the keys (a backspace as "\b \b") and answers the command.
    QTRY_VERIFY2_WITH_TIMEOUT(
        panel->console_text().contains(QStringLiteral(
            "commands: list | <workload> [iters=N] | all [iters=N] | exit [status]")),
        qPrintable(panel->console_text()), 60000);
    QVERIFY(panel->console_text().contains(QStringLiteral("vmlab$ hepl")));
    QVERIFY(panel->console_text().contains(QStringLiteral("lp")));
    QVERIFY(panel->busy());  // the guest runs on, waiting for keys

    QTest::keyClicks(panel->console(), QStringLiteral("exit 3"));
    QTest::keyClick(panel->console(), Qt::Key_Enter);
    QTRY_VERIFY2_WITH_TIMEOUT(!panel->busy() && panel->status().state == vmm::VmState::kStopped,
                              qPrintable(panel->console_text()), 60000);
    panel->poll();
    QVERIFY(panel->console_text().contains(QStringLiteral("vmlab$ exit 3")));
    QVERIFY(panel->console_text().contains(QStringLiteral("done status=3")));
    // Stopped: keys go to the pane again, not to a guest.
    QTest::keyClicks(panel->console(), QStringLiteral("x"));
  }

  void code_and_memory_views_data() {
    QTest::addColumn<int>("mode");
    QTest::addColumn<int>("paging");
    QTest::newRow("native") << int(ModeVariant::native) << int(vmm::RealPaging::kGuestTables);
    QTest::newRow("trap VT") << int(ModeVariant::trap_vt) << int(vmm::RealPaging::kShadow);
    QTest::newRow("trap NPT") << int(ModeVariant::trap_npt) << int(vmm::RealPaging::kNested);
    QTest::newRow("bt") << int(ModeVariant::bt) << int(vmm::RealPaging::kShadow);
    QTest::newRow("pv") << int(ModeVariant::pv) << int(vmm::RealPaging::kDirect);
  }
  void code_and_memory_views() {
    QFETCH(int, mode);
    QFETCH(int, paging);
    MainWindow w;
    LiveRunOptions o = pv_syscall();
    o.mode = static_cast<ModeVariant>(mode);
    w.run_panel()->set_options(o);
    w.run_panel()->run_for(400000);
    QTRY_VERIFY_WITH_TIMEOUT(!w.run_panel()->busy(), 120000);
    w.run_panel()->poll();
    const auto snap = w.run_panel()->status().inspection;
    QVERIFY(snap != nullptr);
    QCOMPARE(int(snap->paging), paging);
    QCOMPARE(w.run_panel()->status().guest_eip, snap->cpu.eip);
    // The code view marks EIP's line, whose bytes Capstone decoded.
    QVERIFY(!snap->code.empty());
    QCOMPARE(snap->code.front().address, snap->cpu.eip);
    QVERIFY(w.code()->code_text().contains(
        QStringLiteral("=> %1").arg(snap->cpu.eip, 8, 16, QLatin1Char('0'))));
    if (o.mode == ModeVariant::bt) {
      QVERIFY(snap->translation.has_value());
      QVERIFY(w.code()->translation_text().contains(QStringLiteral("; translation ")));
      QVERIFY(w.code()->translation_text().contains(QStringLiteral("TC fc")));
    }
    // The memory view lists the mapped pages; shadow paging has entries not filled yet.
    PageTableModel* model = w.memory()->model();
    QAbstractItemModelTester t(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVERIFY(model->rowCount() > 0);
    QCOMPARE(static_cast<size_t>(model->rowCount()), snap->pages.size());
    if (o.mode == ModeVariant::native) QCOMPARE(model->differing(), size_t{0});
    if (o.mode == ModeVariant::trap_vt) QVERIFY(model->differing() > 0);
    // Its filters: only the rows that differ, then only user pages; "go to" selects the
    // first shown page at or above the address.
    MemoryView* memory = w.memory();
    memory->set_filter(PageFilter::differing);
    QCOMPARE(static_cast<size_t>(memory->shown()->rowCount()), model->differing());
    memory->set_filter(PageFilter::user);
    for (int r = 0; r < memory->shown()->rowCount(); ++r) {
      const int source = memory->shown()->mapToSource(memory->shown()->index(r, 0)).row();
      QVERIFY((model->row(source).flags & vmm::PageRow::kGuestUser) != 0);
    }
    memory->set_filter(PageFilter::all);
    memory->go_to(0xC0100123);
    QVERIFY(memory->selected_page().has_value());
    QCOMPARE(*memory->selected_page(), 0xC0100000u);  // the guest's kernel text is mapped
  }

  // A live bt run's event table shows an event's translated code as the same run opened
  // from its directory does: the worker takes the cache with the code that writes
  // translations.jsonl, and the GUI reads it with the same reader. Before the run pauses
  // there is nothing to show yet, and the details say so.
  void live_bt_events_show_translated_code_as_an_opened_run() {
    LiveRunOptions o = pv_syscall();
    o.mode = ModeVariant::bt;
    o.append = QStringLiteral("run=syscall iters=50");
    const QString dir = tmp_.filePath(QStringLiteral("bt-opened"));
    QString out;
    QVERIFY2(
        test::make_run(dir,
                       {QStringLiteral("--mode"), QStringLiteral("bt"), QStringLiteral("--profile"),
                        QStringLiteral("pentium4"), QStringLiteral("--append"), o.append},
                       &out),
        qPrintable(out));
    MainWindow opened;
    QVERIFY2(opened.open_run(dir), qPrintable(opened.banner_text()));

    MainWindow w;
    RunPanel* panel = w.run_panel();
    panel->set_options(o);
    panel->resume();
    QTRY_VERIFY_WITH_TIMEOUT(!panel->busy() && panel->status().state == vmm::VmState::kStopped,
                             120000);
    panel->poll();
    const RunSummary& live = w.document()->summary();
    const RunSummary& file = opened.document()->summary();
    QVERIFY(live.translations != nullptr);
    QVERIFY(live.translations->live());
    QVERIFY(file.translations != nullptr);
    // The same fragments, dropped ones included, field for field.
    QCOMPARE(live.translations->fragments().size(), file.translations->fragments().size());
    QCOMPARE(live.translations->dropped(), file.translations->dropped());
    for (size_t i = 0; i < file.translations->fragments().size(); ++i) {
      const auto& a = live.translations->fragments()[i];
      const auto& b = file.translations->fragments()[i];
      QCOMPARE(a.index, b.index);
      QCOMPARE(a.tc_start, b.tc_start);
      QCOMPARE(a.dropped, b.dropped);
      QCOMPARE(a.dropped_cycle, b.dropped_cycle);
      QCOMPARE(a.text, b.text);
    }
    // The same events: a callout in translated code shows the same fragment in both.
    const EventStore& le = w.document()->events();
    const EventStore& fe = opened.document()->events();
    QCOMPARE(le.size(), fe.size());
    size_t callout = le.size();
    for (size_t i = 0; i < le.size() && callout == le.size(); ++i) {
      if (le.kind(i) == vmm::EventKind::bt_callout &&
          live.translations->fragment_at(le.eip(i), le.cycle(i)) != nullptr) {
        callout = i;
      }
    }
    QVERIFY(callout < le.size());
    w.select_event(callout);
    opened.select_event(callout);
    const BtTranslations::Fragment* f =
        live.translations->fragment_at(le.eip(callout), le.cycle(callout));
    const QString details = w.events()->details_text();
    QVERIFY2(details.contains(QStringLiteral("translated code (fragment %1 of the translation "
                                             "cache at the pause, as vmlab bt-dump prints it):")
                                  .arg(f->index)),
             qPrintable(details));
    QVERIFY(details.contains(f->text.trimmed()));
    // Past the heading, the same text as the opened run's details.
    const QString opened_details = opened.events()->details_text();
    const qsizetype at = details.indexOf(f->text.trimmed());
    QCOMPARE(details.mid(at), opened_details.mid(opened_details.indexOf(f->text.trimmed())));
  }
};

QTEST_MAIN(LiveRunTest)
#include "live_run_test.moc"
