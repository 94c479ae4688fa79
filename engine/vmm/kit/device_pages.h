// Device pages: the guest-physical pages outside the guest's RAM where a device of the
// machine decodes registers (issue 12). A shadow MMU never maps one, whatever the guest's
// page tables say: every access there faults (ShadowMmu::FaultKind::kDevice) and the
// monitor executes the instruction for the guest (PrivilegedEmulator::emulate_write, on
// the scratch processor), whose accesses outside the guest's RAM go to the machine's bus at
// the same physical address (device_read/device_write, guest_apic.h), where the device
// model judges them exactly as natively. No machine page, and never host memory, is mapped
// for the guest there.
//   - The I/O APIC's page (0xFEC00000, engine/machine/io_apic.h), fixed: under every shadow
//     MMU (trap on the VT CPU with shadow paging, trap on the classic CPU, bt).
//   - The local APIC's page, where IA32_APIC_BASE puts it: under ring compression (classic,
//     bt; ShadowMmu::set_apic_page). The VT CPU traps that page with its APIC-access page
//     instead (guest_apic.h).
// Under nested paging no shadow exists: the nested table maps every guest-physical page
// above the guest's RAM onto the machine's bus at the same address
// (modes/full-emulation/vt_setup.cpp) but leaves the I/O APIC's page unmapped, so every
// access there exits as an EPT violation and the VT monitor lets that one instruction's
// accesses through to the bus at the same address (VtMonitor::nested_fault,
// cpu::Cpu::pass_apic_access_once; the passed translation is never cached in the TLB).
#pragma once

#include <cstdint>

#include "engine/machine/io_apic.h"

namespace vmlab::vmm {

inline constexpr uint32_t kIoApicPage = machine::IoApic::kBase;

// Whether guest frame `gfn` is a device page a shadow MMU must never map: the I/O APIC's,
// or (`apic_gfn`, under ring compression only) the local APIC's.
inline bool is_device_page(uint32_t gfn, uint32_t apic_gfn, bool ring_compression) {
  return gfn == kIoApicPage / 4096 || (ring_compression && gfn == apic_gfn);
}

}  // namespace vmlab::vmm
