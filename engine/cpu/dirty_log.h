// What a byte of the processor's dirty log says (cpu::Cpu::dirty_log; docs/migration.md,
// "Write tracking"): who wrote the page since the log was last cleared. Both bits may be set.
#pragma once

#include <cstdint>

namespace vmlab::cpu {

// A store of an instruction through the linear path: what a monitor's write protection
// (shadow or nested page tables) sees fault.
inline constexpr uint8_t kDirtyByStore = 1;
// A write to a physical address: a device's DMA (notify_phys_write), a monitor's own write,
// the page walker's accessed and dirty bits, a loader.
inline constexpr uint8_t kDirtyByPhysical = 2;

}  // namespace vmlab::cpu
