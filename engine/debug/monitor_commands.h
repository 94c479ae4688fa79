// `monitor` commands (gdb's qRcmd) beyond what QEMU's stub offers: stops at monitor-level
// events of the one event taxonomy (engine/vmm/core/event.h), as Bochs's vmexitbp/modebp do,
// and the last events recorded. `monitor help` lists them.
#pragma once

#include <string>
#include <string_view>

#include "engine/debug/debug_target.h"

namespace vmlab::debug {

// Runs one command line; returns the text to show (ending in a newline) or, when the
// command is not understood, an error text starting with "error: ".
std::string run_monitor_command(DebugTarget& target, std::string_view line);

}  // namespace vmlab::debug
