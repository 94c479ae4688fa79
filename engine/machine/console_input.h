// ConsoleInput: the bytes the guest receives on its serial line.
//
// Three kinds of source:
//  - none: the line is idle;
//  - preloaded bytes, from a string or a file read whole when the machine is configured:
//    the UART receives them as fast as the guest reads them, so a run stays deterministic;
//  - the host's interactive stdin: bytes arrive when the user types them, so WHEN they
//    reach the guest depends on host timing, and a run with interactive input is NOT
//    deterministic (instruction counts and cycles differ from run to run).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/machine/result.h"

namespace vmlab::machine {

class ConsoleInput {
 public:
  ConsoleInput() = default;
  static ConsoleInput from_string(std::string bytes);
  static Result<ConsoleInput> from_file(const std::string& path);
  static ConsoleInput from_stdin();

  // The next byte if one is available now.
  std::optional<uint8_t> next();
  // Gives back the last `n` bytes returned by next() (at most 64), as if never received.
  void unread(size_t n) { pos_ -= n < pos_ ? n : pos_; }
  bool interactive() const { return kind_ == Kind::kStdin; }
  // No byte will ever come again (preloaded bytes consumed, stdin at end of file).
  bool exhausted() const;
  // Interactive only: waits up to `timeout_ms` of host time for input; true if some came.
  bool wait(int timeout_ms);

 private:
  enum class Kind : uint8_t { kNone, kPreloaded, kStdin };
  void read_stdin(int timeout_ms);

  Kind kind_ = Kind::kNone;
  std::string bytes_;
  size_t pos_ = 0;
  bool eof_ = false;
};

}  // namespace vmlab::machine
