// Receiver: the destination's side of a migration as a state machine over the frames it
// is given (protocol.h), with no socket and no Vm, so that a test can feed it anything.
//
// After HELLO it holds a staging copy of machine memory (all zeros, the size HELLO named)
// into which every PAGES frame is copied after each page index is checked against it;
// STATE is kept as sections; DONE ends the transfer. Frames out of order (PAGES before
// HELLO, a round number that goes back, a second STATE, anything after DONE) are errors.
// Nothing of a refused or unfinished transfer reaches a machine: the caller loads the
// staging copy into the Vm only once complete() is true (docs/migration.md, "Faults").
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "engine/machine/result.h"
#include "engine/migration/protocol.h"

namespace vmlab::migration {

struct RoundReceived {
  uint32_t round = 0;
  uint64_t pages = 0;
};

class Receiver {
 public:
  // `max_memory_bytes`: the largest machine memory a HELLO may ask for (staging is
  // allocated from it).
  explicit Receiver(uint64_t max_memory_bytes) : max_memory_bytes_(max_memory_bytes) {}

  // Takes one frame; an error refuses the whole transfer (later frames are errors too).
  machine::Result<void> take(const Frame& frame);

  bool has_hello() const { return hello_.has_value(); }
  const Hello& hello() const { return *hello_; }
  bool complete() const { return done_; }
  const std::vector<uint8_t>& memory() const { return memory_; }
  const std::vector<snapshot::Section>& state() const { return state_; }
  const std::vector<RoundReceived>& rounds() const { return rounds_; }
  uint32_t rounds_announced() const { return rounds_announced_; }
  uint64_t pages_received() const { return pages_received_; }
  uint64_t bytes_received() const { return bytes_received_; }

 private:
  machine::Result<void> take_unchecked(const Frame& frame);
  uint64_t max_memory_bytes_;
  std::optional<Hello> hello_;
  std::vector<uint8_t> memory_;
  std::vector<snapshot::Section> state_;
  bool have_state_ = false;
  bool done_ = false;
  bool failed_ = false;
  std::vector<RoundReceived> rounds_;
  uint32_t rounds_announced_ = 0;
  uint64_t pages_received_ = 0;
  uint64_t bytes_received_ = 0;
};

}  // namespace vmlab::migration
