// The instruction at an event's EIP for opened run directories (gui/kernel_image.h): every
// port-I/O VM exit of a trap run points at an IN or OUT instruction, and the event table's
// details show it; bt's events in the translation cache say so; a kernel rebuilt or gone
// since the run gives the reason instead of a wrong instruction; damaged images are
// refused with a reason.
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QTableView>
#include <QTest>

#include "gui/events_view.h"
#include "gui/kernel_image.h"
#include "gui/main_window.h"
#include "gui/run_loader.h"
#include "test_runs.h"

using namespace vmlab;
using namespace vmlab::gui;

class KernelImageTest : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  QString trap_;

  static QString details(MainWindow& w, size_t event) {
    w.select_event(event);
    return w.events()->findChild<QPlainTextEdit*>()->toPlainText();
  }

 private Q_SLOTS:
  void initTestCase() {
    trap_ = tmp_.filePath(QStringLiteral("trap"));
    QString out;
    QVERIFY2(test::make_run(trap_,
                            {QStringLiteral("--mode"), QStringLiteral("trap"),
                             QStringLiteral("--append"), QStringLiteral("run=in iters=20")},
                            &out),
             qPrintable(out));
  }

  void port_io_events_point_at_in_or_out() {
    auto run = load_run(trap_);
    QVERIFY2(run, run ? "" : run.error().message.c_str());
    const RunSummary& s = run.value().summary;
    QVERIFY2(s.image != nullptr, qPrintable(s.image_note));
    const EventStore& events = run.value().events;
    const QRegularExpression in_or_out(
        QStringLiteral("^0x[0-9a-f]{8}  ([0-9a-f]{2} )+ *(rep )?(in|out|ins|outs)[bwd]? "));
    size_t checked = 0;
    for (size_t i = 0; i < events.size(); ++i) {
      if (events.kind(i) != vmm::EventKind::port_io) continue;
      const QString insn = instruction_at(*s.image, events.eip(i));
      QVERIFY2(in_or_out.match(insn).hasMatch(),
               qPrintable(QStringLiteral("event %1: %2").arg(i).arg(insn)));
      ++checked;
    }
    QVERIFY(checked >= 20);

    // The event table shows it under the selected event.
    MainWindow w;
    QVERIFY(w.open_run(trap_));
    size_t port = 0;
    while (w.document()->events().kind(port) != vmm::EventKind::port_io) ++port;
    const QString text = details(w, port);
    QVERIFY2(text.contains(QStringLiteral("instruction at EIP: ") +
                           instruction_at(*s.image, events.eip(port))),
             qPrintable(text));
  }

  void translation_cache_and_user_code_say_where_they_are() {
    auto image = KernelImage::load(QStringLiteral(VMLAB_TEST_KERNEL), {});
    QVERIFY2(image, image ? "" : image.error().message.c_str());
    QVERIFY(
        instruction_at(image.value(), 0xFC0010DBu).contains(QStringLiteral("translation cache")));
    QVERIFY(
        instruction_at(image.value(), 0x08048000u).contains(QStringLiteral("not in the kernel")));
  }

  void a_changed_or_missing_kernel_gives_the_reason() {
    const QString copy = tmp_.filePath(QStringLiteral("kernel.elf"));
    QVERIFY(QFile::copy(QStringLiteral(VMLAB_TEST_KERNEL), copy));
    auto same = KernelImage::load(copy, {});
    QVERIFY(same);
    // A different SHA-256 than the run recorded: refused, with the reason.
    auto changed = KernelImage::load(copy, QString(64, QLatin1Char('0')));
    QVERIFY(!changed);
    QVERIFY(QString::fromStdString(changed.error().message).contains(QStringLiteral("SHA-256")));
    auto gone = KernelImage::load(tmp_.filePath(QStringLiteral("gone.elf")), {});
    QVERIFY(!gone);
    QVERIFY(QString::fromStdString(gone.error().message).contains(QStringLiteral("not here")));
    // A run whose kernel changed shows the reason in the details, not an instruction.
    const QString dir = tmp_.filePath(QStringLiteral("changed"));
    QVERIFY(QDir().mkpath(dir));
    QJsonObject config = test::read_json(trap_ + QStringLiteral("/config.json"));
    QJsonObject kernel = config.value(QStringLiteral("kernel")).toObject();
    kernel.insert(QStringLiteral("path"), copy);
    kernel.insert(QStringLiteral("sha256"), QString(64, QLatin1Char('f')));
    config.insert(QStringLiteral("kernel"), kernel);
    test::write_file(dir + QStringLiteral("/config.json"), QJsonDocument(config).toJson());
    QVERIFY(
        QFile::copy(trap_ + QStringLiteral("/trace.jsonl"), dir + QStringLiteral("/trace.jsonl")));
    MainWindow w;
    QVERIFY(w.open_run(dir));
    QVERIFY(details(w, 0).contains(QStringLiteral("instruction at EIP: not shown (")));
    QVERIFY(details(w, 0).contains(QStringLiteral("SHA-256")));
  }

  void damaged_images_are_refused() {
    const QString file = tmp_.filePath(QStringLiteral("bad.elf"));
    QByteArray elf;
    QFile k(QStringLiteral(VMLAB_TEST_KERNEL));
    QVERIFY(k.open(QIODevice::ReadOnly));
    elf = k.read(4096);
    for (const auto& [what, bytes] :
         {std::pair{"empty", QByteArray()}, std::pair{"text", QByteArray("hello")},
          std::pair{"phoff past the end", QByteArray(elf).replace(28, 4, "\xff\xff\xff\x7f")},
          std::pair{"64-bit", QByteArray(elf).replace(4, 1, "\x02")},
          std::pair{"truncated", elf.left(60)}}) {
      test::write_file(file, bytes);
      auto image = KernelImage::load(file, {});
      QVERIFY2(!image, what);
      QVERIFY2(
          QString::fromStdString(image.error().message).contains(QStringLiteral("not an ELF32")),
          image.error().message.c_str());
    }
  }
};

QTEST_MAIN(KernelImageTest)
#include "kernel_image_test.moc"
