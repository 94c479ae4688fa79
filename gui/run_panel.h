// RunPanel: run the guest live. Choose the kernel (default: the guest OS), the workload and
// its arguments, the mode and the cost profile; run, pause, step one instruction, run to
// the next event of a kind, stop, restart. The console pane shows the guest's COM1 output;
// counters per event kind update about 25 times a second from what the worker left. Keys
// typed into the console pane go to the guest's COM1 while a run is live (Enter as '\r',
// Backspace as DEL, as a terminal in raw mode sends them); the guest echoes them.
#pragma once

#include <QByteArray>
#include <QWidget>
#include <memory>

#include "gui/live_run.h"
#include "gui/run_document.h"

class QComboBox;
class QKeyEvent;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QLabel;
class QTimer;
class QTableView;

namespace vmlab::gui {

class CounterModel;

class RunPanel : public QWidget {
  Q_OBJECT
 public:
  explicit RunPanel(RunDocument* document, QWidget* parent = nullptr);
  ~RunPanel() override;

  void set_options(const LiveRunOptions& options);
  // Runs `instructions` instructions from the start, then pauses (for screenshots and labs).
  void run_for(uint64_t instructions);
  LiveRunOptions options() const;
  // Starts a new run with the panel's options (replacing the document's run).
  bool start();
  void resume();
  void pause();
  void step();
  void run_to_next();
  void stop();
  void restart();
  // A PC key pressed or released in the Screen tab: to the running guest's keyboard.
  void send_key(uint16_t key, bool release);
  // Moves what the worker produced into the document (the 25 Hz timer calls it).
  void poll();
  // Ends the current run and joins its thread (before the window goes away).
  void stop_and_wait();

  const LiveStatus& status() const { return status_; }
  bool busy() const { return run_ != nullptr && run_->busy(); }
  QString console_text() const;
  // The status line under the buttons (state, guest EIP, what was counted).
  QString state_text() const;
  // The console pane (tests type into it).
  QPlainTextEdit* console() { return console_; }
  // The Step button (tests click it).
  QPushButton* step_button() { return step_button_; }
  CounterModel* counters() { return counters_; }

 Q_SIGNALS:
  void message(const QString& text, bool error);
  // A new snapshot for the code and memory views (after a pause, a step or the stop).
  void inspected(std::shared_ptr<const InspectionSnapshot> snapshot);
  // A new CGA text screen for the Screen view (after a command, and while the guest runs).
  void screen_taken(std::shared_ptr<const TextScreen> screen);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void update_buttons();
  // Browse...: a file dialog for the kernel image.
  void choose_kernel();
  // The bytes a key press sends to the guest; empty for keys the pane keeps (copy, select
  // all, navigation).
  static QByteArray key_bytes(const QKeyEvent& key);

  RunDocument* document_;
  // The modeled clock (no control: vmlab-gui --cpu-mhz sets it).
  uint32_t cpu_mhz_ = LiveRunOptions{}.cpu_mhz;
  std::unique_ptr<LiveRun> run_;
  LiveStatus status_;
  RunSummary summary_;
  QTimer* timer_;
  QLineEdit* kernel_;
  QComboBox* workload_;
  QLineEdit* args_;
  QComboBox* mode_;
  QComboBox* profile_;
  QLineEdit* input_;
  QComboBox* break_kind_;
  QPushButton* run_button_;
  QPushButton* pause_button_;
  QPushButton* step_button_;
  QPushButton* next_button_;
  QPushButton* stop_button_;
  QPushButton* restart_button_;
  QLabel* state_;
  QPlainTextEdit* console_;
  CounterModel* counters_;
  QTableView* counter_table_;
};

}  // namespace vmlab::gui
