// TimelineWidget: the timeline on screen. Mouse wheel zooms around the pointer, dragging
// pans, keys: + / - zoom, Left / Right pan, Home shows the whole run. Hovering shows the
// event under the pointer; a click selects it in the window's EventSelection (the event
// table follows it) and emits eventClicked.
#pragma once

#include <QWidget>
#include <optional>

#include "gui/run_document.h"
#include "gui/timeline_renderer.h"

namespace vmlab::gui {

class EventSelection;

class TimelineWidget : public QWidget {
  Q_OBJECT
 public:
  explicit TimelineWidget(const RunDocument* document, QWidget* parent = nullptr);
  // Shows another run (AlignedView's rows, whose run the user chooses); fits it.
  void set_document(const RunDocument* document);
  const RunDocument* document() const { return document_; }

  const TimelineViewport& viewport() const { return view_; }
  void set_viewport(const TimelineViewport& view);
  void fit();
  // fit() shows cycles [0, max(this run's end, end)): two aligned timelines fit the
  // longer run (AlignedView). 0: this run's end only.
  void set_fit_end(uint64_t end) { fit_end_ = end; }
  void zoom(double factor, int around_x);
  void pan(int pixels);
  // Highlights the event (bringing it into view); the shared selection calls it.
  void select_event(std::optional<size_t> event);
  // The selection this timeline selects through and shows (the window's): a click selects
  // there, and the highlighted event is the selection's when it is one of this run's.
  void set_selection(EventSelection* selection);
  std::optional<size_t> selected() const { return selected_; }
  const TimelineRenderer& renderer() const { return renderer_; }
  QSize sizeHint() const override;

 Q_SIGNALS:
  void eventClicked(qulonglong event);
  // The user zoomed, panned or fitted (not emitted for set_viewport from outside).
  void viewportChanged();

 protected:
  void paintEvent(QPaintEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  bool event(QEvent* event) override;

 private:
  void watch_document();
  int plot_width() const { return std::max(width() - TimelineRenderer::kLabelWidth, 1); }
  const RunDocument* document_;
  TimelineRenderer renderer_;
  TimelineViewport view_;
  uint64_t fit_end() const;
  uint64_t fit_end_ = 0;
  bool fitted_ = true;  // follow the run's end while it grows, until the user zooms
  std::optional<size_t> selected_;
  EventSelection* selection_ = nullptr;
  std::optional<QPoint> drag_from_;
  bool dragged_ = false;
};

}  // namespace vmlab::gui
