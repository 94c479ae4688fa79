// From a library error or a run's stop to the exit status docs/cli.md promises, and the
// one-line message on stderr that goes with it.
#pragma once

#include <string>

#include "engine/machine/result.h"
#include "engine/machine/run_result.h"

namespace vmlab::cli {

// Prints "vmlab: MESSAGE" on stderr and returns `code`.
int fail(int code, const std::string& message);
int exit_code_for(const machine::Error& e);
int exit_code_for(const machine::RunResult& r);
// The exit status for a --disk image BlockImage::open refused (kDisk*).
int disk_exit_code_for(const machine::Error& e);

}  // namespace vmlab::cli
