#include "cli/console_file.h"

#include <cerrno>
#include <cstring>

#include "engine/machine/host_file.h"

namespace vmlab::cli {

machine::Result<ConsoleFile> ConsoleFile::open(const std::string& path) {
  auto file = machine::open_host_output(path, "the guest console");
  if (!file) return file.error();
  auto state = std::make_shared<State>();
  state->file = std::move(file.value());
  return ConsoleFile(path, std::move(state));
}

machine::ConsoleOutput::Sink ConsoleFile::sink() const {
  return [state = state_](char c) {
    if (state->error != 0) return;
    errno = 0;
    if (std::fputc(c, state->file.get()) == EOF ||
        (c == '\n' && std::fflush(state->file.get()) != 0)) {
      state->error = errno != 0 ? errno : EIO;
    }
  };
}

machine::Result<void> ConsoleFile::finish() const {
  errno = 0;
  if (state_->error == 0 && std::fflush(state_->file.get()) != 0) {
    state_->error = errno != 0 ? errno : EIO;
  }
  if (state_->error == 0) return {};
  return machine::Error{path_ + ": cannot write the guest console: " + std::strerror(state_->error),
                        state_->error};
}

}  // namespace vmlab::cli
