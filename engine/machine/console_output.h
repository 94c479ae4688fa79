// ConsoleOutput: where the guest's console bytes go.
//
// The UART's transmitter and the 0xE9 debug port both write here. Every byte is passed on
// at once if a sink is set (the CLI sinks to stdout or to a file: those get every byte),
// and the first kCaptureLimit bytes are kept in a capture buffer (tests, `vmlab compare`'s
// guest report and snapshots read it back). The limit is the host's, not the guest's: a
// guest may print without end (a REP OUTSB of four billion bytes to COM1), and the
// monitor's memory must not grow with it; the bytes past the limit are counted.
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

  static constexpr size_t kCaptureLimit = size_t{64} << 20;  // 64 MiB

  void put(char c) {
    if (captured_.size() < kCaptureLimit) {
      captured_.push_back(c);
    } else {
      ++dropped_;
    }
    if (sink_) sink_(c);
  }
  const std::string& captured() const { return captured_; }
  // Bytes the guest wrote past kCaptureLimit: in the sink, not in captured().
  uint64_t dropped() const { return dropped_; }

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
  uint64_t dropped_ = 0;
  std::string captured_;
};

}  // namespace vmlab::machine
