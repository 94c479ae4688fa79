// ConsoleOutput: where the guest's console bytes go.
//
// The UART's transmitter and the 0xE9 debug port both write here. Every byte is kept in
// a capture buffer (tests and the CLI read it back) and, if a sink is set, passed on at
// once (the CLI sinks to stdout or to a file).
#pragma once

#include <functional>
#include <string>
#include <utility>

#include "engine/cpu/state_codec.h"
#include "engine/machine/result.h"

namespace vmlab::machine {

class ConsoleOutput {
 public:
  using Sink = std::function<void(char)>;

  explicit ConsoleOutput(Sink sink = {}) : sink_(std::move(sink)) {}

  void put(char c) {
    captured_.push_back(c);
    if (sink_) sink_(c);
  }
  const std::string& captured() const { return captured_; }

  // Ready-made sinks: the host's stdout (flushed at each newline), or a file that is
  // created or truncated now.
  static Sink stdout_sink();
  static Result<Sink> file_sink(const std::string& path);

  // Saved state (device_state.cpp, docs/snapshots.md): every register and latch; load()
  // validates what it reads and fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  Sink sink_;
  std::string captured_;
};

}  // namespace vmlab::machine
