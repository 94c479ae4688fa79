// ScreenView: the guest's CGA text screen, the PC's second console beside COM1 (docs/gui.md,
// "Screen"). A live run's 80x25 cells (gui/text_screen.h) drawn in a fixed-pitch font with
// the CGA attribute colours (blink ignored), the cursor where the CRTC puts it (none when
// Cursor Off), scaled to fit the view at the 4:3 of a monitor showing mode 3's 720x400.
// Refreshed whenever the run panel takes a new screen (pause, step, stop, and at most every
// 40 ms while the guest runs). A run opened from a directory has no machine: the view says
// the screen is shown for live runs only.
// Keys: while the view has the focus (click it) and a live run goes on, each key pressed or
// released on a key the PC keyboard has (gui/pc_keys.h) is sent as key_event, which the run panel
// gives the live run's PS/2 keyboard (engine/machine/live_keys.h): interactive, as the console
// pane's typing; the host's auto-repeat is not passed on. Tab goes to the guest, not to the next
// widget, while a live screen is shown.
#pragma once

#include <QWidget>
#include <cstdint>
#include <memory>

#include "gui/text_screen.h"

namespace vmlab::gui {

class ScreenView : public QWidget {
  Q_OBJECT
 public:
  explicit ScreenView(QWidget* parent = nullptr);

  void show_screen(std::shared_ptr<const TextScreen> screen);
  // No live run (a run opened from a directory, or none yet): the note instead of cells.
  void show_no_live_run();
  // What the view shows (nullptr: the note).
  const TextScreen* screen() const { return screen_.get(); }
  // The rectangle of cell (row, column) in widget coordinates, as painted.
  QRectF cell_rect(int row, int column) const;
  QString note() const;

 Q_SIGNALS:
  // A PC key (engine/machine/scancodes.h KeyId) pressed or released in the view.
  void key_event(uint16_t key, bool release);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void keyReleaseEvent(QKeyEvent* event) override;
  bool focusNextPrevChild(bool next) override;

 private:
  // The screen's area: the largest 4:3 rectangle that fits, centred.
  QRectF screen_rect() const;
  // Sends the event's key; false if the PC keyboard has no such key.
  bool forward(QKeyEvent* event, bool release);
  std::shared_ptr<const TextScreen> screen_;
};

}  // namespace vmlab::gui
