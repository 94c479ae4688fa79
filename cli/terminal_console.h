// `vmlab run` without --input: the terminal connected to the guest's COM1, as
// `qemu-system-i386 -serial stdio` connects it.
//
// What stdin is decides what the guest's serial line receives (docs/cli.md, "The console"):
//  - a terminal: the interactive console. The terminal goes into raw mode (no line
//    editing, no echo: the guest's shell echoes, as a terminal in raw mode expects; output
//    post-processing and Ctrl-C stay on, as QEMU leaves them), a reader thread pushes what
//    the user types into a machine::LiveInput queue, and QEMU's escape key sequences work:
//    Ctrl-A X quits (the run ends with its summary and --out files), Ctrl-A H prints the
//    keys, Ctrl-A Ctrl-A sends one Ctrl-A. The terminal's mode is restored on every way out:
//    the end of the run (destructor or restore()), Ctrl-C and SIGTERM (which end the run
//    normally, cli/interrupt_signal.h), a second Ctrl-C or a Ctrl-\ (restored in the signal
//    handler before the process dies), and Ctrl-Z (restored while stopped, raw again after
//    fg). Not deterministic: when a byte reaches the guest depends on the user.
//  - a pipe or a socket: streamed, byte for byte (no escape keys), as QEMU reads it: bytes
//    reach the guest as they arrive, end of file ends the input. Not deterministic either.
//  - a regular file or another character device (/dev/null): read whole before the run
//    and preloaded, exactly as `--input FILE`: deterministic.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "engine/machine/live_input.h"
#include "engine/machine/machine.h"
#include "engine/machine/result.h"

namespace vmlab::cli {

enum class StdinKind : uint8_t {
  kTerminal,  // a tty: the interactive console
  kStream,    // a pipe or socket: streamed as it arrives
  kFile,      // a regular file or a non-tty device: preloaded whole (read_stdin_whole)
  kClosed,    // no stdin at all (fd 0 closed): the line stays idle
};

StdinKind classify_stdin();

// Reads all of stdin (a regular file, /dev/null) for preloading, at most `max_bytes`.
machine::Result<std::string> read_stdin_whole(uint64_t max_bytes);

class TerminalConsole {
 public:
  // Starts reading stdin (kind kTerminal or kStream) into `input`; a terminal goes into raw
  // mode. `machine` is asked to stop (request_stop, an atomic) on Ctrl-A X.
  static machine::Result<std::unique_ptr<TerminalConsole>> start(
      StdinKind kind, machine::Machine& machine, std::shared_ptr<machine::LiveInput> input);
  ~TerminalConsole();
  TerminalConsole(const TerminalConsole&) = delete;
  TerminalConsole& operator=(const TerminalConsole&) = delete;

  // Stops the reader thread and restores the terminal's mode; idempotent. Call it before
  // printing the run's summary.
  void finish();
  // The user typed Ctrl-A X.
  bool quit_requested() const { return quit_.load(std::memory_order_relaxed); }

  // The help Ctrl-A H prints.
  static const char* escape_help();
  // Restores the terminal's mode from a signal handler (async-signal-safe): for a signal
  // that ends the process (a second Ctrl-C, cli/interrupt_signal.h).
  static void restore_from_signal() noexcept;

 private:
  TerminalConsole(StdinKind kind, machine::Machine& machine,
                  std::shared_ptr<machine::LiveInput> input);
  void read_loop();
  // Handles one byte typed on the terminal (the escape state machine).
  void typed(char c, std::string& out);

  StdinKind kind_;
  machine::Machine& machine_;
  std::shared_ptr<machine::LiveInput> input_;
  int wake_[2] = {-1, -1};  // a pipe: finish() writes to end the reader's poll
  std::thread reader_;
  bool escape_ = false;  // the last byte typed was Ctrl-A
  std::atomic<bool> quit_{false};
  bool finished_ = false;
};

}  // namespace vmlab::cli
