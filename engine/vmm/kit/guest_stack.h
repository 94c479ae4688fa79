// The guest's own stack segment under ring compression (issue 12).
//
// The shadow GDT holds every guest data segment with its limit cut below the hypervisor
// hole (DeprivilegedSegments::compress), and an expand-down one that would reach the hole
// loaded empty, so the real SS cache is not what the guest loaded. Where the monitor moves
// the guest's stack itself (the event injector's pushes, the emulated POP SS, IRET and far
// RET of the guest kernel) it checks the stack as the processor checks it natively: each
// push or pop at its own offset against the guest's own descriptor, #SS when one lies
// outside (SDM Vol. 3A, 5.3 and 6.12.1; Vol. 2, POP, IRET, RET).
#pragma once

#include <cstdint>

#include "engine/cpu/cpu_state.h"
#include "engine/vmm/kit/deprivileged_segments.h"

namespace vmlab::vmm {

// `loaded` (a segment cache loaded from the shadow GDT or LDT) with the guest's own limit
// back: a longer one for an expand-up segment, a lower one (a wider range) for an
// expand-down one. The guest descriptor is the one the register was loaded from
// (DeprivilegedSegments::guest_descriptor_loaded: the slot may have been rewritten since,
// and the processor keeps the loaded one, SDM Vol. 3A, 3.4.3); the cut is the only
// difference between the two, so one with another base, type or size is not it: `loaded`
// as it is.
cpu::SegmentCache guest_segment_view(const DeprivilegedSegments& segments,
                                     const cpu::SegmentCache& loaded);

// Whether `count` stack slots of `width` bytes, the lowest at offset `first` and each at
// the next (wrapping as the stack pointer does: at 64 KiB with SS.B = 0), all lie within
// the stack segment `ss`. A flat 4 GiB expand-up stack holds any: its offsets simply wrap,
// as in the processor model (Cpu::push_frame; SDM Vol. 3A, 5.3: implementation-specific).
bool stack_slots_fit(const cpu::SegmentCache& ss, uint32_t first, unsigned count, unsigned width);

}  // namespace vmlab::vmm
