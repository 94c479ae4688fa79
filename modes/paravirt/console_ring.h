// ConsoleRing: the back end of the PV console, a shared-memory ring in one guest page
// (Xen's xencons_interface; Barham et al. 2003, section 3.2 "Data transfer: I/O rings").
//
// The guest (front end) copies output bytes into `out` at out_prod and advances it; it
// notifies the monitor once for the whole batch (event_channel_op send on the console
// port). On the notification the back end consumes everything between out_cons and
// out_prod, hands the bytes to the machine's console, and advances out_cons. Compare the
// emulated 16550, where every byte costs a port write (one trap per byte under
// trap-and-emulate): here a console line costs one notification.
//
// A guest that scribbles on the indexes cannot make the back end loop or read outside
// the ring: at most one ring's worth is consumed per notification, indexes are reduced
// modulo the ring size.
//
// Input goes the other way: what the machine's serial line receives (the UART, which
// only the monitor drives under pv) goes into `in` at in_prod, as far as in_cons leaves
// room, and the console port is notified (PvMonitor::console_input).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "engine/cpu/state_codec.h"
#include "modes/paravirt/machine_memory.h"

namespace vmlab::modes::paravirt {

class ConsoleRing {
 public:
  using Sink = std::function<void(char)>;

  ConsoleRing(MachineMemory& memory, uint32_t ring_ma, Sink sink)
      : memory_(memory), base_(ring_ma), sink_(std::move(sink)) {}

  // Consumes the output the guest produced; returns how many bytes.
  uint32_t consume_output();
  // Console input: bytes from `source` (until it has none) into `in`, as far as the guest
  // has made room; returns how many. The producer index is the monitor's own: a guest
  // that scribbles on in_cons (more than a ring behind, or ahead) gets nothing.
  using Source = std::function<std::optional<uint8_t>()>;
  uint32_t feed_input(const Source& source);
  uint64_t notifications() const { return notifications_; }
  uint64_t bytes() const { return bytes_; }

  // Saved state (pv_state.cpp, docs/snapshots.md); load() fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  MachineMemory& memory_;
  uint32_t base_;
  Sink sink_;
  uint64_t notifications_ = 0;
  uint64_t bytes_ = 0;
  uint32_t in_prod_ = 0;
};

}  // namespace vmlab::modes::paravirt
