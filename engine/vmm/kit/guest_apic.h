// The guest's local APIC under a monitor (issue 12, item 14): the one place that says
// where a virtualized guest's APIC answers and how an access a monitor trapped reaches it.
//
// The device model is the machine's own (engine/machine/local_apic.h): the monitors pass
// the guest's APIC accesses to it as they pass trapped port I/O to the PIC, the PIT and
// the UART, and its interrupts reach the processor's INTR like the 8259A's, which every
// monitor already virtualizes (VT: external-interrupt exits and injection; classic and
// bt: reflection through the guest's IDT). Its timer counts the machine's modeled clock,
// so it fires at the same modeled cycles on every run. What differs per monitor is only
// how the access is caught, never that it reaches the model unchecked:
//   - VT CPU (trap, shadow or nested paging): the APIC-access page ("virtualize APIC
//     accesses", SDM Vol. 3C 29.4). The guest-physical page kApicPage is mapped onto the
//     machine page at the same address, which the controls name as the APIC-access page;
//     every data access there exits with reason 44 (offset and read/write in the
//     qualification), and the monitor lets that one instruction's access through to the
//     model (cpu::Cpu::pass_apic_access_once).
//   - classic CPU and bt: the page lies in the hypervisor hole (0xFC000000 and up), so a
//     guest access there faults on the cut segment limits or the hole's supervisor pages,
//     and the monitor executes the instruction on the scratch processor
//     (emulate_hole_access.cpp); the scratch view sends accesses to guest-physical
//     addresses outside the guest's RAM to the machine's bus at the same address
//     (device_read/device_write), where only the local APIC decodes anything.
//   - pv: the guest has no APIC; its timer is the event-channel timer (docs/pv-abi.md).
// The APIC's events are the machine's `mmio` events (the bus observer records every
// access, as natively), after the monitor's own `trap` or `hole_access` event.
//
// An access that is hostile (unaligned, narrower than 32 bits, straddling the page's end,
// to a reserved offset) is the model's to judge, exactly as natively: a narrow read sees
// its bytes, any write that is not an aligned 32-bit store is dropped, a reserved offset
// reads 0 and sets ESR bit 7 (Machine::mmio_read/mmio_write, LocalApic::read/write).
// Nothing of it is the monitor's state: the monitor keeps none for the APIC.
#pragma once

#include <cstdint>

#include "engine/cpu/bus.h"
#include "engine/machine/local_apic.h"
#include "engine/vmm/core/p2m.h"

namespace vmlab::vmm {

// The guest-physical page of the APIC (its power-up base, IA32_APIC_BASE = 0xFEE00000).
inline constexpr uint32_t kApicPage = machine::LocalApic::kDefaultBase;
// No APIC page: the guest cleared IA32_APIC_BASE's global enable (or the machine has none).
inline constexpr uint32_t kNoApicPage = 0xFFFFFFFFu;

// Where the guest's APIC answers now: the page IA32_APIC_BASE names (a guest may move it,
// SDM Vol. 3A, 10.4.5), or kNoApicPage. Each monitor that traps the page follows it when
// the guest writes the MSR (classic and bt: ShadowMmu::set_apic_page; VT: the
// APIC-access address and the device frame of its P2m).
uint32_t guest_apic_page(const machine::LocalApic& apic);

// Whether a guest-physical address lies outside the guest's RAM, where the machine's bus
// (and the local APIC, at its base) answers.
inline bool is_device_address(const P2m& p2m, uint32_t gpa) {
  return !p2m.valid_guest_frame(gpa / P2m::kPageSize);
}

// An access a monitor executed for the guest at guest-physical `gpa` outside its RAM:
// passed to the machine's bus at the same physical address (reads of nothing give all
// ones, writes to nothing are dropped, as natively).
uint32_t device_read(cpu::Bus& bus, uint32_t gpa, unsigned size);
void device_write(cpu::Bus& bus, uint32_t gpa, unsigned size, uint32_t value);

}  // namespace vmlab::vmm
