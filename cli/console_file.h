// The guest console written to a host file (run --console FILE), with the first write
// error kept: a console that the host could not write (a full disk, /dev/full) is a failed
// run, not a silent loss of the guest's output.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "engine/machine/console_output.h"
#include "engine/machine/result.h"

namespace vmlab::cli {

class ConsoleFile {
 public:
  // Opens `path` (a regular file, created or truncated, or a character device).
  static machine::Result<ConsoleFile> open(const std::string& path);

  // The sink for MachineConfig::console_sink; it stops writing after the first error.
  machine::ConsoleOutput::Sink sink() const;
  // Flushes the file; an error if any write failed, naming the file and the cause.
  machine::Result<void> finish() const;

 private:
  struct State {
    std::shared_ptr<std::FILE> file;
    int error = 0;  // errno of the first failed write
  };
  ConsoleFile(std::string path, std::shared_ptr<State> state)
      : path_(std::move(path)), state_(std::move(state)) {}

  std::string path_;
  std::shared_ptr<State> state_;
};

}  // namespace vmlab::cli
