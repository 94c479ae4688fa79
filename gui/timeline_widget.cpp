#include "gui/timeline_widget.h"

#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>
#include <cmath>

#include "gui/event_decoder.h"
#include "gui/event_selection.h"

namespace vmlab::gui {

TimelineWidget::TimelineWidget(const RunDocument* document, QWidget* parent)
    : QWidget(parent), document_(document) {
  setFocusPolicy(Qt::StrongFocus);
  setMouseTracking(true);
  setMinimumHeight(TimelineRenderer::kAxisHeight + 4 * TimelineRenderer::kLaneHeight);
  setAttribute(Qt::WA_OpaquePaintEvent);
  watch_document();
}

void TimelineWidget::watch_document() {
  connect(document_, &RunDocument::runReset, this, [this] {
    selected_.reset();
    fit();
  });
  connect(document_, &RunDocument::eventsAppended, this, [this] {
    if (fitted_) {
      view_ = TimelineRenderer::fit(fit_end(), plot_width());
    }
    update();
  });
}

void TimelineWidget::set_document(const RunDocument* document) {
  if (document == document_) return;
  disconnect(document_, nullptr, this, nullptr);
  document_ = document;
  watch_document();
  selected_.reset();
  fit();
  if (selection_ != nullptr) {
    if (const auto e = selection_->event_in(document_)) select_event(e);
  }
}

void TimelineWidget::set_selection(EventSelection* selection) {
  if (selection_ != nullptr) disconnect(selection_, nullptr, this, nullptr);
  selection_ = selection;
  if (selection_ == nullptr) return;
  connect(selection_, &EventSelection::changed, this,
          [this] { select_event(selection_->event_in(document_)); });
  select_event(selection_->event_in(document_));
}

QSize TimelineWidget::sizeHint() const {
  return {1000, TimelineRenderer::preferred_height()};
}

void TimelineWidget::set_viewport(const TimelineViewport& view) {
  view_ = view;
  view_.cycles_per_px = std::clamp(view_.cycles_per_px, 1e-3, 1e15);
  view_.start = std::max(view_.start, -view_.cycles_per_px * plot_width() * 0.5);
  fitted_ = false;
  update();
}

uint64_t TimelineWidget::fit_end() const {
  return std::max(document_->events().end_cycle(), fit_end_);
}

void TimelineWidget::fit() {
  view_ = TimelineRenderer::fit(fit_end(), plot_width());
  fitted_ = true;
  update();
  Q_EMIT viewportChanged();
}

void TimelineWidget::zoom(double factor, int around_x) {
  const double x = std::clamp(around_x - TimelineRenderer::kLabelWidth, 0, plot_width());
  const double at = view_.start + x * view_.cycles_per_px;
  TimelineViewport v = view_;
  v.cycles_per_px = view_.cycles_per_px / factor;
  v.start = at - x * v.cycles_per_px;
  set_viewport(v);
  Q_EMIT viewportChanged();
}

void TimelineWidget::pan(int pixels) {
  TimelineViewport v = view_;
  v.start += pixels * v.cycles_per_px;
  set_viewport(v);
  Q_EMIT viewportChanged();
}

void TimelineWidget::select_event(std::optional<size_t> event) {
  selected_ = event;
  if (event && *event < document_->events().size()) {
    // Bring it into view when it is outside.
    const double x = (static_cast<double>(document_->events().cycle(*event)) - view_.start) /
                     view_.cycles_per_px;
    if (x < 0 || x >= plot_width()) {
      TimelineViewport v = view_;
      v.start = static_cast<double>(document_->events().cycle(*event)) -
                0.5 * plot_width() * v.cycles_per_px;
      set_viewport(v);
      Q_EMIT viewportChanged();  // an aligned timeline follows
    }
  }
  update();
}

void TimelineWidget::paintEvent(QPaintEvent*) {
  QPainter p(this);
  renderer_.paint(p, rect(), document_->events(), document_->index(), view_,
                  document_->summary().cpu_mhz, selected_);
}

void TimelineWidget::wheelEvent(QWheelEvent* event) {
  const double steps = event->angleDelta().y() / 120.0;
  if (steps != 0) zoom(std::pow(1.25, steps), static_cast<int>(event->position().x()));
  event->accept();
}

void TimelineWidget::mousePressEvent(QMouseEvent* event) {
  if (event->button() == Qt::LeftButton) {
    drag_from_ = event->position().toPoint();
    dragged_ = false;
  }
}

void TimelineWidget::mouseMoveEvent(QMouseEvent* event) {
  if (drag_from_) {
    const QPoint now = event->position().toPoint();
    const int dx = now.x() - drag_from_->x();
    if (std::abs(dx) > 2 || dragged_) {
      dragged_ = true;
      pan(-dx);
      drag_from_ = now;
    }
  }
}

void TimelineWidget::mouseReleaseEvent(QMouseEvent* event) {
  if (event->button() == Qt::LeftButton && drag_from_ && !dragged_) {
    if (auto hit =
            renderer_.event_at(rect(), event->position().toPoint(), document_->index(), view_)) {
      if (selection_ != nullptr) {
        selection_->select(document_, *hit);
      } else {
        select_event(*hit);
      }
      Q_EMIT eventClicked(static_cast<qulonglong>(*hit));
    }
  }
  drag_from_.reset();
}

void TimelineWidget::keyPressEvent(QKeyEvent* event) {
  const int centre = TimelineRenderer::kLabelWidth + plot_width() / 2;
  switch (event->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal:
    case Qt::Key_W: zoom(1.5, centre); break;
    case Qt::Key_Minus:
    case Qt::Key_S: zoom(1 / 1.5, centre); break;
    case Qt::Key_Left:
    case Qt::Key_A: pan(-plot_width() / 8); break;
    case Qt::Key_Right:
    case Qt::Key_D: pan(plot_width() / 8); break;
    case Qt::Key_Home:
    case Qt::Key_0: fit(); break;
    default: QWidget::keyPressEvent(event); return;
  }
  event->accept();
}

void TimelineWidget::resizeEvent(QResizeEvent*) {
  if (fitted_) {
    view_ = TimelineRenderer::fit(fit_end(), plot_width());
    Q_EMIT viewportChanged();
  }
}

bool TimelineWidget::event(QEvent* event) {
  if (event->type() == QEvent::ToolTip) {
    auto* help = static_cast<QHelpEvent*>(event);
    if (auto hit = renderer_.event_at(rect(), help->pos(), document_->index(), view_)) {
      QToolTip::showText(
          help->globalPos(),
          describe_event(document_->events().event(*hit), document_->summary().decode), this);
    } else {
      QToolTip::hideText();
    }
    return true;
  }
  return QWidget::event(event);
}

}  // namespace vmlab::gui
