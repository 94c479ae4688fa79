// The VT monitor's set-up: the control block for shadow or nested paging, and the nested
// page table (guest-physical to machine) built from the P2M in the monitor's own frames.
#pragma once

#include <cstdint>

#include "engine/cpu/cpu.h"
#include "engine/vmm/core/p2m.h"
#include "engine/vmm/kit/monitor_frames.h"

namespace vmlab::modes {

enum class VtPaging : uint8_t { kShadow, kNested };

// Fills `controls` for a guest OS under this monitor (docs/modes/vt.md, "What exits"):
// I/O, HLT, CPUID, RDMSR/WRMSR and external interrupts always exit; with shadow paging
// also CR3 loads and stores, INVLPG, #PF (exception bitmap) and changes of CR0.PG/WP and
// CR4.PSE/PGE (guest/host masks), none of which exit with nested paging.
void configure_vt_controls(cpu::VmControls& controls, VtPaging paging);

// Builds the nested table: guest RAM through the P2M on 4 KiB nested pages, and the rest
// of the 4 GiB guest-physical space on machine addresses outside machine RAM (where the
// bus answers all ones, as it does natively). Returns the machine address of its root.
uint32_t build_nested_table(cpu::Cpu& cpu, const vmm::P2m& p2m, vmm::MonitorFrames& frames);

}  // namespace vmlab::modes
