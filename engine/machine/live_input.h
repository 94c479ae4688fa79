// LiveInput: bytes typed by a user while the guest runs, queued for its serial line.
//
// The one machine object that another thread may touch while the Vm runs on its owner
// thread (docs/architecture.md, "Threading"). A front end (the GUI's console pane) keeps a
// shared_ptr and calls push() and close() from any thread; the machine's ConsoleInput
// (ConsoleInput::from_live) takes the bytes on the running thread at deterministic points
// only: the end of a slice (Machine::sync_devices) and the guest's reads of RBR, never in
// the middle of an instruction. A run given live input is interactive: WHEN a byte reaches
// the guest depends on host timing, so its counts and cycles are not reproducible; a run
// without one is unchanged.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

namespace vmlab::machine {

class LiveInput {
 public:
  // Queues bytes for the guest, in order; wakes a machine waiting for input. Any thread.
  void push(std::string_view bytes);
  // No more bytes will come: once the queue is drained the line is exhausted (the idle
  // watchdog may then stop a guest that only waits). Any thread.
  void close();
  // Appends every queued byte to `into` and empties the queue; true if any. Any thread.
  bool take(std::string& into);
  // Waits up to `timeout_ms` of host time for a queued byte or close(); true if bytes are
  // queued. Any thread (the machine calls it while the guest is halted).
  bool wait(int timeout_ms);
  // Closed and nothing queued.
  bool exhausted() const;
  // How many bytes are queued and not yet taken (a producer that reads a fast source, a
  // pipe, waits while this is large rather than queue without bound). Any thread.
  size_t pending() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::string queued_;
  bool closed_ = false;
};

}  // namespace vmlab::machine
