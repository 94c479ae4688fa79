#include "engine/machine/console_output.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace vmlab::machine {

ConsoleOutput::Sink ConsoleOutput::stdout_sink() {
  return [](char c) {
    std::fputc(c, stdout);
    if (c == '\n') std::fflush(stdout);
  };
}

Result<ConsoleOutput::Sink> ConsoleOutput::file_sink(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    const int err = errno;
    return Error{path + ": cannot open the console output file: " + std::strerror(err), err};
  }
  std::shared_ptr<std::FILE> file(f, [](std::FILE* p) { std::fclose(p); });
  return Sink([file](char c) {
    std::fputc(c, file.get());
    if (c == '\n') std::fflush(file.get());
  });
}

}  // namespace vmlab::machine
