// ConsoleInput: the bytes the guest receives on its serial line.
//
// Four kinds of source:
//  - none: the line is idle;
//  - preloaded bytes, from a string or a file read whole when the machine is configured:
//    the UART receives them as fast as the guest reads them, so a run stays deterministic;
//  - the host's interactive stdin: bytes arrive when the user types them, so WHEN they
//    reach the guest depends on host timing, and a run with interactive input is NOT
//    deterministic (instruction counts and cycles differ from run to run);
//  - a LiveInput queue that another thread fills while the guest runs (the GUI's console
//    pane): interactive, and not deterministic, as stdin.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "engine/cpu/state_codec.h"
#include "engine/machine/live_input.h"
#include "engine/machine/result.h"

namespace vmlab::machine {

class ConsoleInput {
 public:
  ConsoleInput() = default;
  static ConsoleInput from_string(std::string bytes);
  static Result<ConsoleInput> from_file(const std::string& path);
  static ConsoleInput from_stdin();
  // Bytes pushed into `queue` from any thread; the machine takes them on its own thread.
  static ConsoleInput from_live(std::shared_ptr<LiveInput> queue);

  // The next byte if one is available now.
  std::optional<uint8_t> next();
  // Gives back the last `n` bytes returned by next() (at most 64), as if never received.
  void unread(size_t n) { pos_ -= n < pos_ ? n : pos_; }
  bool interactive() const { return kind_ == Kind::kStdin || kind_ == Kind::kLive; }
  // No byte will ever come again (preloaded bytes consumed, stdin at end of file).
  bool exhausted() const;
  // Interactive only: waits up to `timeout_ms` of host time for input; true if some came.
  bool wait(int timeout_ms);

  // Saved state (device_state.cpp, docs/snapshots.md): every register and latch; load()
  // validates what it reads and fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  enum class Kind : uint8_t { kNone, kPreloaded, kStdin, kLive };
  void read_stdin(int timeout_ms);
  void take_live();
  // Drops consumed bytes but the last 64 that unread() may give back.
  void compact();

  Kind kind_ = Kind::kNone;
  std::string bytes_;
  size_t pos_ = 0;
  bool eof_ = false;
  std::shared_ptr<LiveInput> live_;
};

}  // namespace vmlab::machine
