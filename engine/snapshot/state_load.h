// Loading a machine's state straight into a new Vm (docs/snapshots.md, "Loading a
// snapshot"): the seam a restore and a live migration share.
//
// Besides the sections vm_capture.h describes (POSN, CPU , DEVS, CNTR, CONS: what the
// machine shows, which a re-executing restore checks), the state a load needs:
//
//   CPUX  the processor whole (cpu::Cpu::save_internal): registers, the TLB's entries, the
//         fetch path's cached page, pending events, budget units, the VMX controls
//   MACH  every device's registers, FIFOs and latches, the console output and input
//         position, the run loop's slice in progress (machine::Machine::save_state)
//   VMST  the recorder's event counters and sequence number, the hardware observer's tally
//   MON   the mode's monitor state (vmm::Mode::save_monitor), present only when the mode
//         can save it
//
// Each carries its own version byte; every field is validated when read.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/machine/result.h"
#include "engine/snapshot/snapshot_file.h"
#include "engine/snapshot/vm_capture.h"
#include "engine/vmm/core/vm.h"

namespace vmlab::snapshot {

inline constexpr uint32_t kCpuInternal = tag("CPUX");
inline constexpr uint32_t kMachineState = tag("MACH");
inline constexpr uint32_t kVmState = tag("VMST");
inline constexpr uint32_t kMonitor = tag("MON ");

// Whether `vm`'s mode can save and load its monitor's state (vmm::Mode::can_save_monitor),
// so that its state can be loaded into a new Vm rather than re-executed.
bool can_load_state(const vmm::Vm& vm);

// The state sections of `vm` now (everything but MEM) — what a snapshot or a migration
// carries. Owning thread, the Vm paused (or not yet run); nothing is changed.
std::vector<Section> capture_state(vmm::Vm& vm);

// Whether `sections` hold everything load_state needs (a snapshot from a mode that could
// not save its monitor, or a stopped machine, does not).
bool has_loadable_state(const std::vector<Section>& sections);

// Loads `sections` and machine memory `memory` into `vm` (freshly loaded, nothing run; the
// same configuration). Refuses with a clear error (machine::Result) what it cannot load:
// a mode that cannot, a missing or malformed section (kErrCorrupt), memory of another size
// (kErrMismatch). After loading, what the machine shows (POSN, CPU , DEVS, CNTR, CONS) must
// be what the sections say, or the load is refused (kErrDiverged, as a re-executed machine
// that differs is). On an error `vm` is
// unusable: discard it.
machine::Result<Position> load_state(vmm::Vm& vm, const std::vector<Section>& sections,
                                     std::span<const uint8_t> memory, const std::string& name);

}  // namespace vmlab::snapshot
