// PNG figures through QtGui: the Drawing painted on a QImage with QPainter, offscreen (no
// display needed: the offscreen platform is chosen unless the environment names another).
#include <QtCore/QByteArray>
#include <QtGui/QFont>
#include <QtGui/QFontMetricsF>
#include <QtGui/QGuiApplication>
#include <QtGui/QImage>
#include <QtGui/QPainter>
#include <QtGui/QPen>
#include <memory>

#include "frontend/reproduce/figures.h"

namespace vmlab::frontend::reproduce {

namespace {

QColor qcolour(uint32_t rgb) {
  return QColor(static_cast<int>((rgb >> 16) & 0xFF), static_cast<int>((rgb >> 8) & 0xFF),
                static_cast<int>(rgb & 0xFF));
}

// Qt's own notes (a missing XDG_RUNTIME_DIR, font fallbacks) are not the user's business
// while a figure is written; a failure to save is reported by write_png.
// (Qt still aborts after a fatal message.)
void quiet(QtMsgType, const QMessageLogContext&, const QString&) {}

// Fonts need a QGuiApplication; one is made on first use if the process has none.
void ensure_application() {
  if (QGuiApplication::instance() != nullptr) return;
  qInstallMessageHandler(quiet);
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  static int argc = 1;
  static char name[] = "vmlab";
  static char* argv[] = {name, nullptr};
  static std::unique_ptr<QGuiApplication> app = std::make_unique<QGuiApplication>(argc, argv);
}

}  // namespace

bool png_available() {
  return true;
}

bool write_png(const Drawing& d, const std::string& path, std::string& error) {
  ensure_application();
  const double scale = 2;  // twice the SVG's size: sharp on a projector and in print
  QImage image(static_cast<int>(d.width * scale), static_cast<int>(d.height * scale),
               QImage::Format_RGB32);
  image.fill(Qt::white);
  QPainter p(&image);
  p.setRenderHint(QPainter::Antialiasing);
  p.setRenderHint(QPainter::TextAntialiasing);
  p.scale(scale, scale);
  for (const Shape& s : d.shapes) {
    switch (s.kind) {
      case Shape::Kind::kRect: {
        const QRectF r(s.x, s.y, s.w, s.h);
        if (s.hatched) {
          QColor light = qcolour(s.rgb);
          light.setAlphaF(0.35);
          p.fillRect(r, light);
          QBrush hatch(QColor(0, 0, 0, 110), Qt::BDiagPattern);
          QTransform t;
          t.scale(1.0 / scale * 2, 1.0 / scale * 2);
          hatch.setTransform(t);
          p.fillRect(r, hatch);
        } else {
          p.fillRect(r, qcolour(s.rgb));
        }
        if (s.stroke != 0xFFFFFFFF) {
          p.setPen(QPen(qcolour(s.stroke), 1));
          p.setBrush(Qt::NoBrush);
          p.drawRect(r);
        }
        break;
      }
      case Shape::Kind::kLine: {
        QPen pen(qcolour(s.rgb), s.size);
        if (s.dashed) pen.setDashPattern({6 / s.size, 4 / s.size});
        p.setPen(pen);
        p.drawLine(QPointF(s.x, s.y), QPointF(s.x + s.w, s.y + s.h));
        break;
      }
      case Shape::Kind::kText: {
        QFont font("DejaVu Sans");
        font.setPixelSize(static_cast<int>(s.size + 0.5));
        font.setBold(s.bold);
        p.setFont(font);
        p.setPen(qcolour(s.rgb));
        const QString text = QString::fromUtf8(s.text.c_str());
        const double w = QFontMetricsF(font).horizontalAdvance(text);
        const double dx = s.anchor == Shape::Anchor::kStart    ? 0
                          : s.anchor == Shape::Anchor::kMiddle ? -w / 2
                                                               : -w;
        p.save();
        p.translate(s.x, s.y);
        if (s.vertical) p.rotate(-90);
        p.drawText(QPointF(dx, 0), text);
        p.restore();
        break;
      }
    }
  }
  p.end();
  if (!image.save(QString::fromStdString(path), "PNG")) {
    error = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace vmlab::frontend::reproduce
