// Entering a Multiboot guest under a deprivileging monitor (trap-and-emulate on the
// classic CPU, binary translation): the Multiboot entry state the guest expects, on the
// real processor state a monitor needs under it.
#pragma once

#include <cstdint>

#include "engine/cpu/cpu.h"
#include "engine/vmm/kit/deprivileged_segments.h"
#include "engine/vmm/kit/shadow_mmu.h"

namespace vmlab::vmm {

// Sets the Multiboot entry state (EIP = entry, EAX, EBX) with the guest's segments
// compressed to ring 1, and the real processor as the monitor keeps it while the guest
// runs: paging always on (the shadow, or the physical-mode map while the guest's paging is
// off), CR0.WP so that ring 1 honours read-only shadow entries, no PSE (shadows use 4 KiB
// pages), IF on (the guest's IF is virtual), IOPL 0 (so CLI/STI/IN/OUT fault in ring 1).
// Then attaches `monitor`.
void start_deprivileged(cpu::Cpu& cpu, DeprivilegedSegments& segments, ShadowMmu& shadow,
                        cpu::Monitor& monitor, uint32_t entry, uint32_t eax, uint32_t ebx);

}  // namespace vmlab::vmm
