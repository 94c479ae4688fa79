// The progress line of the commands that run many cells (compare, reproduce): cells done,
// time so far and the time left, on stderr; rewritten in place on a terminal, one line per
// cell otherwise (a log keeps every line).
#pragma once

#include <string>

#include "frontend/cell_runner.h"

namespace vmlab::cli {

frontend::CellProgress progress_printer(const std::string& command);

}  // namespace vmlab::cli
