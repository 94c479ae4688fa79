// Hypercalls: the guest's calls into the monitor (docs/pv-abi.md lists each one with the
// Xen hypercall it mirrors).
//
// The guest calls entry n of the hypercall page, which holds `mov $n, %eax; int $0x82;
// ret`. INT 0x82 from ring 1 enters PvMonitor, which calls dispatch(): EAX is the number,
// EBX, ECX, EDX, ESI the arguments, and the result goes back in EAX, negative for an
// error (-errno). Each call is recorded as a `hypercall` event (number, two arguments,
// result); page-table entries it changes as `guest_pt_write`, a console batch as
// `ring_notify`.
#pragma once

#include <cstdint>

namespace vmlab::modes::paravirt {

class PvMonitor;

class Hypercalls {
 public:
  explicit Hypercalls(PvMonitor& monitor) : m_(monitor) {}
  void dispatch();

 private:
  int32_t set_trap_table(uint32_t table);
  int32_t mmu_update(uint32_t requests, uint32_t count, uint32_t done_out);
  int32_t stack_switch(uint32_t ss, uint32_t esp);
  int32_t set_callbacks(uint32_t event_cs, uint32_t event_eip);
  int32_t update_va_mapping(uint32_t va, uint32_t value, uint32_t flags);
  int32_t set_timer_op(uint32_t deadline_lo, uint32_t deadline_hi);
  int32_t xen_version(uint32_t cmd, uint32_t arg);
  int32_t console_io(uint32_t cmd, uint32_t count, uint32_t buffer);
  int32_t mmuext_op(uint32_t ops, uint32_t count, uint32_t done_out);
  int32_t sched_op(uint32_t cmd, uint32_t arg);
  int32_t event_channel_op(uint32_t cmd, uint32_t port);
  int32_t physdev_op(uint32_t cmd, uint32_t port, uint32_t value);

  // One page-table entry through the validator, recorded as a guest_pt_write.
  int32_t update_one(uint32_t entry_ma, uint32_t value);

  PvMonitor& m_;
};

}  // namespace vmlab::modes::paravirt
