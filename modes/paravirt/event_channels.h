// EventChannels: virtual interrupts through the shared-info page (Barham et al. 2003,
// section 3.3 "Control transfer: hypercalls and events"; docs/modes/paravirt.md).
//
// The page holds, per event-channel port, a pending bit and a mask bit, and for the one
// virtual CPU an "upcall pending" byte and an "upcall mask" byte. The mask byte is the
// guest's interrupt flag: the guest disables and enables events with plain stores to it,
// without entering the monitor. The monitor sets a port pending; if the port is not
// masked it also sets "upcall pending", and the upcall is delivered (by PvMonitor, as a
// bounce frame to the guest's registered callback) as soon as the upcall mask is clear.
//
// The timer: set_timer_op names a deadline in the guest's TSC cycles; when it passes, the
// timer port becomes pending (Xen's VIRQ_TIMER). The deadline is kept here; PvMonitor arms
// the hardware timer for it.
#pragma once

#include <cstdint>

#include "engine/cpu/state_codec.h"
#include "modes/paravirt/machine_memory.h"

namespace vmlab::modes::paravirt {

class EventChannels {
 public:
  // `shared_info_ma`: machine address of the shared-info page.
  EventChannels(MachineMemory& memory, uint32_t shared_info_ma)
      : memory_(memory), base_(shared_info_ma) {}

  // Marks `port` pending. Returns true when this made an upcall pending.
  bool send(uint32_t port);
  // An upcall can be delivered now: one is pending and the guest has events enabled.
  bool deliverable() const;
  bool upcall_mask() const;
  void set_upcall_mask(bool masked);
  uint32_t pending_ports() const;

  // The fault address of the last page fault (Xen keeps it in vcpu_info.arch.cr2).
  void set_cr2(uint32_t linear);

  // The timer deadline in TSC cycles; 0 = none.
  void set_timer_deadline(uint64_t tsc) { deadline_ = tsc; }
  uint64_t timer_deadline() const { return deadline_; }

  // Saved state (pv_state.cpp, docs/snapshots.md); load() fails `r` on a value out of range.
  void save(cpu::ByteWriter& w) const;
  void load(cpu::ByteReader& r);

 private:
  MachineMemory& memory_;
  uint32_t base_;
  uint64_t deadline_ = 0;
};

}  // namespace vmlab::modes::paravirt
