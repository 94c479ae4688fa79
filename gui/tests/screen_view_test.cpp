// The Screen view (offscreen, a real window): a live run of tests/kernels/textmode, which
// writes known characters and attributes to the CGA text buffer at 0xB8000 and moves the
// cursor with the CRTC, shows exactly those cells, colours and cursor, as painted pixels
// too; tests/kernels/crtc's Cursor Off hides the cursor; a run opened from a directory
// shows the note that the screen is for live runs only.
#include <QApplication>
#include <QFile>
#include <QImage>
#include <QTest>

#include "gui/live_run.h"
#include "gui/main_window.h"
#include "gui/run_panel.h"
#include "gui/screen_view.h"
#include "gui/text_screen.h"
#include "test_runs.h"

using namespace vmlab;
using namespace vmlab::gui;

namespace {

QRgb rgb(uint32_t v) {
  return qRgb(v >> 16 & 0xFF, v >> 8 & 0xFF, v & 0xFF);
}

// The pixel at a fraction (fx, fy) of cell (row, column), in the view's grab.
QRgb pixel(const QImage& image, const ScreenView& view, int row, int column, double fx, double fy) {
  const QRectF cell = view.cell_rect(row, column);
  const double scale = image.devicePixelRatio();
  return image.pixel(static_cast<int>((cell.left() + fx * cell.width()) * scale),
                     static_cast<int>((cell.top() + fy * cell.height()) * scale)) |
         0xFF000000u;
}

// How many of the cell's pixels have exactly colour `c`.
int pixels_of(const QImage& image, const ScreenView& view, int row, int column, QRgb c) {
  const QRectF cell = view.cell_rect(row, column);
  const double scale = image.devicePixelRatio();
  int n = 0;
  for (int y = static_cast<int>(cell.top() * scale) + 1;
       y < static_cast<int>(cell.bottom() * scale) - 1; ++y) {
    for (int x = static_cast<int>(cell.left() * scale) + 1;
         x < static_cast<int>(cell.right() * scale) - 1; ++x) {
      if ((image.pixel(x, y) | 0xFF000000u) == c) ++n;
    }
  }
  return n;
}

}  // namespace

class ScreenViewTest : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;

 private Q_SLOTS:
  void live_run_shows_the_text_buffer_and_cursor_data() {
    QTest::addColumn<int>("mode");
    for (const ModeVariant v : kAllVariants) {
      // pv boots only the guest OS built for it (its hypercalls), not a plain kernel.
      if (v == ModeVariant::pv) continue;
      QTest::newRow(qPrintable(variant_label(v))) << static_cast<int>(v);
    }
  }

  void live_run_shows_the_text_buffer_and_cursor() {
    QFETCH(int, mode);
    MainWindow w;
    w.resize(1100, 800);
    RunPanel* panel = w.run_panel();
    LiveRunOptions o;
    o.kernel = QStringLiteral(VMLAB_TEXTMODE_KERNEL);
    o.mode = static_cast<ModeVariant>(mode);
    panel->set_options(o);
    QVERIFY(panel->start());
    panel->resume();
    QTRY_VERIFY_WITH_TIMEOUT(!panel->busy() && panel->status().state == vmm::VmState::kStopped,
                             60000);
    panel->poll();
    QVERIFY2(panel->console_text().contains(QStringLiteral("textmode: ok")),
             qPrintable(panel->console_text()));
    w.show_view(MainWindow::View::screen);
    w.show();
    ScreenView* view = w.screen();
    QVERIFY(view->isVisible());
    const TextScreen* s = view->screen();
    QVERIFY(s != nullptr);
    QVERIFY(s->readable);
    QCOMPARE(view->note(), QString());

    // The cells: every one the kernel wrote, exactly (it cleared the rest to 0x0720).
    const QString blank(TextScreen::kColumns, QLatin1Char(' '));
    QCOMPARE(s->rows.size(), TextScreen::kRows);
    QCOMPARE(s->rows[0], QStringLiteral("vmlab textmode test kernel").leftJustified(80));
    QCOMPARE(s->rows[1], blank);
    QCOMPARE(s->rows[2],
             (QStringLiteral("    Hello from the CGA text buffer at 0xB8000.")).leftJustified(80));
    QCOMPARE(s->rows[3], QString(QChar(0x2588)).leftJustified(80));
    for (int r = 4; r < 24; ++r) QCOMPARE(s->rows[r], blank);
    QCOMPARE(s->rows[24], QStringLiteral("last row").rightJustified(78).leftJustified(80));
    for (int c = 0; c < 80; ++c) {
      QCOMPARE(s->attribute(0, c), uint8_t(c < 26 ? 0x1F : 0x07));
      QCOMPARE(s->attribute(24, c), uint8_t(c >= 70 && c < 78 ? 0x4E : 0x07));
      QCOMPARE(s->attribute(12, c), uint8_t(0x07));
    }
    QCOMPARE(s->character(3, 0), uint8_t(0xDB));
    QCOMPARE(s->character(2, 4), uint8_t('H'));
    // The cursor: after "0xB8000." on row 2 (the CRTC's location 2*80+4+42).
    QVERIFY(s->cursor_visible);
    QCOMPARE(s->cursor_row, 2);
    QCOMPARE(s->cursor_column, 46);

    // The colours the attributes name, from the CGA palette.
    QCOMPARE(background_of(0x1F), QColor(0x00, 0x00, 0xAA));
    QCOMPARE(foreground_of(0x1F), QColor(0xFF, 0xFF, 0xFF));
    QCOMPARE(background_of(0x4E), QColor(0xAA, 0x00, 0x00));
    QCOMPARE(foreground_of(0x4E), QColor(0xFF, 0xFF, 0x55));
    QCOMPARE(foreground_of(0x07), QColor(0xAA, 0xAA, 0xAA));
    QCOMPARE(background_of(0x07), QColor(0, 0, 0));
    QCOMPARE(foreground_of(0x06), QColor(0xAA, 0x55, 0x00));  // brown, not dark yellow
    QCOMPARE(background_of(0xF0), QColor(0xAA, 0xAA, 0xAA));  // blink ignored, not bright

    // As painted: the cells' backgrounds and glyphs in those colours, the cursor a bar at
    // the foot of its cell in the cell's foreground colour.
    const QImage image = view->grab().toImage();
    QCOMPARE(pixel(image, *view, 0, 26 - 1, 0.05, 0.05), rgb(0x0000AA));
    QCOMPARE(pixel(image, *view, 0, 26, 0.05, 0.05), rgb(0x000000));
    QCOMPARE(pixel(image, *view, 24, 70, 0.05, 0.05), rgb(0xAA0000));
    QCOMPARE(pixel(image, *view, 12, 40, 0.5, 0.5), rgb(0x000000));
    QVERIFY(pixels_of(image, *view, 0, 0, rgb(0xFFFFFF)) > 0);            // the white 'v'
    QVERIFY(pixels_of(image, *view, 24, 71, rgb(0xFFFF55)) > 0);          // the yellow 'a'
    QVERIFY(pixels_of(image, *view, 2, 4, rgb(0xAAAAAA)) > 0);            // the grey 'H'
    QCOMPARE(pixels_of(image, *view, 2, 47, rgb(0xAAAAAA)), 0);           // a blank cell
    QCOMPARE(pixel(image, *view, 2, 46, 0.5, 14.0 / 16), rgb(0xAAAAAA));  // the cursor
    QCOMPARE(pixel(image, *view, 2, 46, 0.5, 0.25), rgb(0x000000));
    QCOMPARE(pixel(image, *view, 2, 47, 0.5, 14.0 / 16), rgb(0x000000));
    QCOMPARE(pixel(image, *view, 3, 0, 0.5, 0.5), rgb(0xAAAAAA));  // the full block
  }

  // tests/kernels/crtc sets Cursor Off (register 0x0A bit 5) as GRUB Invaders does: no
  // cursor is drawn where the location register points (cell 0, under its "cursor off").
  void cursor_off_hides_the_cursor() {
    MainWindow w;
    w.resize(1100, 800);
    RunPanel* panel = w.run_panel();
    LiveRunOptions o;
    o.kernel = QStringLiteral(VMLAB_CRTC_KERNEL);
    panel->set_options(o);
    QVERIFY(panel->start());
    panel->resume();
    QTRY_VERIFY_WITH_TIMEOUT(!panel->busy() && panel->status().state == vmm::VmState::kStopped,
                             60000);
    panel->poll();
    QVERIFY2(panel->console_text().contains(QStringLiteral("crtc: ok")),
             qPrintable(panel->console_text()));
    w.show_view(MainWindow::View::screen);
    w.show();
    ScreenView* view = w.screen();
    const TextScreen* s = view->screen();
    QVERIFY(s != nullptr);
    QCOMPARE(s->rows[0], QStringLiteral("cursor off").leftJustified(80));
    QCOMPARE(s->cursor_row, 0);
    QCOMPARE(s->cursor_column, 0);
    QCOMPARE(s->cursor_start, 13);  // 0x2D: Cursor Off and start line 13
    QCOMPARE(s->cursor_end, 14);
    QCOMPARE(s->cell_lines, 16);
    QVERIFY(!s->cursor_visible);
    const QImage image = view->grab().toImage();
    for (double fy = 13.5 / 16; fy < 14.5 / 16; fy += 0.25 / 16) {
      for (double fx = 0.1; fx < 0.95; fx += 0.1) {
        QCOMPARE(pixel(image, *view, 0, 0, fx, fy), rgb(0x000000));
      }
    }
  }

  // While the guest runs (one resume, no pause), the worker hands over the screen between
  // its run_for chunks: GRUB Invaders' aliens march, so screens taken while the run is busy
  // differ. Skipped without the outside kernels (scripts/fetch-outside-kernels.sh).
  void screen_refreshes_while_the_guest_runs() {
    const QString invaders = QStringLiteral(VMLAB_OUTSIDE_KERNELS "/invaders.exec");
    if (!QFile::exists(invaders)) QSKIP("no build/outside-kernels/invaders.exec");
    LiveRun run;
    LiveRunOptions o;
    o.kernel = invaders;
    o.cpu_mhz = 1;
    o.max_instructions = 400'000'000;
    QString error;
    QVERIFY2(run.start(o, error), qPrintable(error));
    run.resume();
    std::vector<vmm::Event> events;
    std::string console;
    std::vector<QStringList> seen;
    for (int i = 0; i < 6000 && seen.size() < 3; ++i) {
      const bool busy = run.busy();
      const LiveStatus st = run.take(events, console);
      if (!busy) break;
      if (st.screen != nullptr && (seen.empty() || seen.back() != st.screen->rows)) {
        seen.push_back(st.screen->rows);
      }
      QTest::qWait(10);
    }
    QVERIFY2(seen.size() >= 3, qPrintable(QString::number(seen.size())));
    QVERIFY(run.busy());  // taken while the guest still ran
    // The aliens ("-*-") are on the screen taken last.
    QVERIFY(seen.back().join(QString()).contains(QStringLiteral("-*-")));
  }

  // Keys pressed in the Screen tab reach the guest's PS/2 keyboard (engine/machine/
  // live_keys.h): tests/kernels/keyboard with "keys" prints each scancode IRQ 1 brings,
  // in set 1 (translated) until Esc is released, then in set 2. Halted waiting for IRQ 1
  // with no timer, it waits for the user rather than stop.
  void keys_typed_in_the_screen_reach_the_keyboard() {
    MainWindow w;
    w.resize(1100, 800);
    RunPanel* panel = w.run_panel();
    LiveRunOptions o;
    o.kernel = QStringLiteral(VMLAB_KEYBOARD_KERNEL);
    o.append = QStringLiteral("keys");
    panel->set_options(o);
    QVERIFY(panel->start());
    w.show_view(MainWindow::View::screen);
    w.show();
    panel->resume();
    ScreenView* view = w.screen();
    QTRY_VERIFY_WITH_TIMEOUT(
        (panel->poll(), panel->console_text().contains(QStringLiteral("keys set 1:"))), 60000);
    QTest::keyPress(view, Qt::Key_A);
    QTest::keyRelease(view, Qt::Key_A);
    // Shift+1: QTest presses and releases Shift around the key, as a user would.
    QTest::keyPress(view, Qt::Key_Exclam, Qt::ShiftModifier);
    QTest::keyRelease(view, Qt::Key_Exclam, Qt::ShiftModifier);
    QTest::keyPress(view, Qt::Key_Escape);
    QTest::keyRelease(view, Qt::Key_Escape);
    QTRY_VERIFY_WITH_TIMEOUT(
        (panel->poll(), panel->console_text().contains(QStringLiteral("keys set 2:"))), 10000);
    QTest::keyPress(view, Qt::Key_Left);
    QTest::keyRelease(view, Qt::Key_Left);
    QTest::keyPress(view, Qt::Key_Escape);
    QTest::keyRelease(view, Qt::Key_Escape);
    QTRY_VERIFY_WITH_TIMEOUT(!panel->busy() && panel->status().state == vmm::VmState::kStopped,
                             10000);
    panel->poll();
    const QString text = panel->console_text();
    QVERIFY2(text.contains(QStringLiteral("keys set 1: 1e 9e 2a 02 82 aa 01 81\n"
                                          "keys set 2: e0 6b e0 f0 6b 76 f0 76\n")),
             qPrintable(text.right(200)));
  }

  void opened_run_says_live_runs_only() {
    const QString dir = tmp_.filePath(QStringLiteral("run"));
    QString out;
    QVERIFY2(test::make_run(
                 dir, {QStringLiteral("--append"), QStringLiteral("run=syscall iters=10")}, &out),
             qPrintable(out));
    MainWindow w;
    QVERIFY(w.open_run(dir));
    QCOMPARE(w.screen()->screen(), nullptr);
    QVERIFY(w.screen()->note().contains(QStringLiteral("live runs only")));
  }
};

QTEST_MAIN(ScreenViewTest)
#include "screen_view_test.moc"
