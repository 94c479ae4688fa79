#include "cli/progress.h"

#include <unistd.h>

#include <iostream>

namespace vmlab::cli {

frontend::CellProgress progress_printer(const std::string& command) {
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  return [command, tty](size_t done, size_t total, double seconds) {
    const std::string line =
        "vmlab " + command + ": " + frontend::progress_line(done, total, seconds);
    if (tty) {
      std::cerr << "\r" << line << "\x1b[K" << (done == total ? "\n" : "") << std::flush;
    } else {
      std::cerr << line << "\n";
    }
  };
}

}  // namespace vmlab::cli
