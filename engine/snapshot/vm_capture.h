// The state of a Vm as snapshot sections (docs/snapshots.md, "What a snapshot holds").
//
//   POSN  where the run is: instructions retired, modeled cycles, the guest's EIP, the TSC
//   CPU   the processor's architectural state: every register, the segment registers with
//         their hidden descriptor caches, GDTR/IDTR/LDTR/TR, CR0-CR4, the MSRs, x87, HLT
//         and the interrupt shadow
//   DEVS  what the devices show through their accessors: the PICs' IRR, ISR and IMR, the
//         PIT's next timer edge and IRQ 0 count, the UART's divisor, receive interrupt
//         enable and line, the ATA controller's command and data-word counts and IRQ line,
//         the local APIC's base MSR and next timer event, CMOS NMI mask, CGA cursor
//         (not every internal register: a restore rebuilds those by re-execution)
//   CNTR  the event counters (count and cycles per kind) and the processor's TLB, VM-exit
//         and page-walk counts
//   CONS  the guest's console output so far
//   MEM   machine memory (the guest's RAM and the mode's reserve: shadow tables, monitor
//         data, PV page-type frames): its size and the 4 KiB pages that are not zero
//         (a full snapshot) or that changed since the parent (an incremental one)
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/machine/result.h"
#include "engine/snapshot/snapshot_file.h"
#include "engine/vmm/core/vm.h"

namespace vmlab::snapshot {

inline constexpr uint32_t kPosition = tag("POSN");
inline constexpr uint32_t kCpu = tag("CPU ");
inline constexpr uint32_t kDevices = tag("DEVS");
inline constexpr uint32_t kCounters = tag("CNTR");
inline constexpr uint32_t kConsole = tag("CONS");
inline constexpr uint32_t kMemory = tag("MEM ");
inline constexpr uint32_t kPageBytes = 4096;

struct Position {
  uint64_t instructions = 0;
  uint64_t cycles = 0;
  uint32_t guest_eip = 0;
};

// POSN, CPU , DEVS, CNTR and CONS of `vm` now (owning thread, the Vm paused or stopped;
// the device accessors are not const, nothing is changed).
std::vector<Section> capture_sections(vmm::Vm& vm);
// The MEM section of `now`: every page that differs from `before` (the same size), or,
// with `before` empty, every page that is not all zeros.
Section memory_section(std::span<const uint8_t> now, std::span<const uint8_t> before = {});
// An incremental MEM section: exactly the machine pages `pages` (ascending, in range).
Section memory_section_of(std::span<const uint8_t> now, const std::vector<uint32_t>& pages);
// Applies a MEM section to `image`: an empty image takes the section's size (all zeros
// first); otherwise the sizes must agree. Every page index is checked against the size.
machine::Result<void> apply_memory(const Section& mem, std::vector<uint8_t>& image,
                                   const std::string& name);
// The pages and bytes a MEM section carries.
uint64_t memory_pages(const Section& mem);
machine::Result<Position> position_of(const SnapshotFile& file, const std::string& name);

// Compares `vm` with a saved state: the name of the first part that differs ("CPU", "MEM
// page 0x1234"...), or an empty string when the Vm is the saved machine.
std::string first_difference(vmm::Vm& vm, const SnapshotFile& saved,
                             std::span<const uint8_t> saved_memory);

}  // namespace vmlab::snapshot
