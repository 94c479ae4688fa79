#include "gui/screen_view.h"

#include <QFontDatabase>
#include <QFontMetricsF>
#include <QKeyEvent>
#include <QPainter>
#include <algorithm>

#include "gui/pc_keys.h"

namespace vmlab::gui {

namespace {
// A monitor showing mode 3 (720x400 pixels) fills a 4:3 tube: each 9x16 cell is drawn
// 9 wide and 12 high in those units.
constexpr double kAspect = 4.0 / 3.0;
}  // namespace

ScreenView::ScreenView(QWidget* parent) : QWidget(parent) {
  setMinimumSize(320, 240);
  setAutoFillBackground(false);
  setFocusPolicy(Qt::StrongFocus);
}

bool ScreenView::forward(QKeyEvent* event, bool release) {
  const auto key = pc_key_of(event->key(), (event->modifiers() & Qt::KeypadModifier) != 0);
  if (!key) return false;
  if (!event->isAutoRepeat()) Q_EMIT key_event(*key, release);
  return true;
}

void ScreenView::keyPressEvent(QKeyEvent* event) {
  if (!forward(event, false)) QWidget::keyPressEvent(event);
}

void ScreenView::keyReleaseEvent(QKeyEvent* event) {
  if (!forward(event, true)) QWidget::keyReleaseEvent(event);
}

bool ScreenView::focusNextPrevChild(bool next) {
  return screen_ != nullptr ? false : QWidget::focusNextPrevChild(next);
}

void ScreenView::show_screen(std::shared_ptr<const TextScreen> screen) {
  screen_ = std::move(screen);
  update();
}

void ScreenView::show_no_live_run() {
  screen_.reset();
  update();
}

QString ScreenView::note() const {
  if (screen_ == nullptr) {
    return tr(
        "The CGA text screen (0xB8000) is shown for live runs only: run a kernel "
        "in the Run tab (or vmlab-gui --run KERNEL).");
  }
  if (!screen_->readable) return tr("The text buffer at 0xB8000 is not backed by guest RAM.");
  return {};
}

QRectF ScreenView::screen_rect() const {
  const QRectF area = QRectF(rect()).adjusted(8, 8, -8, -8);
  double w = area.width();
  double h = w / kAspect;
  if (h > area.height()) {
    h = area.height();
    w = h * kAspect;
  }
  return {area.center().x() - w / 2, area.center().y() - h / 2, w, h};
}

QRectF ScreenView::cell_rect(int row, int column) const {
  const QRectF s = screen_rect();
  const double cw = s.width() / TextScreen::kColumns;
  const double ch = s.height() / TextScreen::kRows;
  return {s.left() + column * cw, s.top() + row * ch, cw, ch};
}

void ScreenView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), palette().window());
  const QString text = note();
  if (!text.isEmpty()) {
    p.setPen(palette().windowText().color());
    p.drawText(rect().adjusted(16, 16, -16, -16), Qt::AlignCenter | Qt::TextWordWrap, text);
    return;
  }
  const TextScreen& s = *screen_;
  const QRectF first = cell_rect(0, 0);
  QFont font = QFontDatabase::systemFont(QFontDatabase::FixedFont);
  font.setStyleHint(QFont::Monospace);
  font.setPixelSize(std::max(4, static_cast<int>(first.height() * 0.9)));
  // Narrow the glyphs to the cell (a fixed-pitch font's advance is about 0.6 of its size).
  const double advance = QFontMetricsF(font).horizontalAdvance(QLatin1Char('M'));
  if (advance > 0) {
    font.setStretch(std::clamp(static_cast<int>(100 * first.width() / advance), 1, 4000));
  }
  p.setFont(font);
  p.fillRect(screen_rect(), Qt::black);
  for (int r = 0; r < TextScreen::kRows; ++r) {
    for (int c = 0; c < TextScreen::kColumns; ++c) {
      const QRectF cell = cell_rect(r, c);
      const uint8_t attr = s.attribute(r, c);
      p.fillRect(cell, background_of(attr));
      const QChar g = s.glyph(r, c);
      if (g == QLatin1Char(' ')) continue;
      p.setPen(foreground_of(attr));
      p.drawText(cell, Qt::AlignCenter, QString(g));
    }
  }
  if (s.cursor_visible) {
    // The cursor's scan lines as the CRTC gives them (mode 3: 13-14 of 16, a bar at the
    // cell's foot), in the cell's foreground colour.
    const QRectF cell = cell_rect(s.cursor_row, s.cursor_column);
    const double line = cell.height() / s.cell_lines;
    const int end = std::min(s.cursor_end, s.cell_lines - 1);
    p.fillRect(QRectF(cell.left(), cell.top() + s.cursor_start * line, cell.width(),
                      (end - s.cursor_start + 1) * line),
               foreground_of(s.attribute(s.cursor_row, s.cursor_column)));
  }
}

}  // namespace vmlab::gui
