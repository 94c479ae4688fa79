// The timeline's lanes: the event classes a student tells apart when comparing the modes
// (issue 14), each a group of event kinds from the one taxonomy (engine/vmm/core/event.h).
#pragma once

#include <array>
#include <cstdint>

#include "engine/vmm/core/event.h"

namespace vmlab::gui {

enum class Lane : uint8_t {
  trap,          // trap or VM exit into the monitor
  emulated,      // privileged instruction emulated (and sensitive ones that did not trap)
  hypercall,     // PV hypercalls and ring notifications
  hidden_fault,  // shadow page-table miss filled silently
  true_fault,    // page fault reflected to the guest
  pt_write,      // guest page-table write seen by the monitor, shadow entry updated
  bt,            // binary translation: translate, callout, chain, lookup, flush, ...
  port_io,       // port and memory-mapped I/O
  interrupt,     // interrupts and exceptions delivered or injected
  cr3_tlb,       // CR3 switch, CR0/CR4 write, TLB flush, INVLPG, nested walk
  other,         // machine stop, hypervisor-hole access
};
inline constexpr unsigned kNumLanes = 11;

Lane lane_of(vmm::EventKind kind);
// The English name (translated in the views through QCoreApplication::translate with
// context "Lane").
const char* lane_name(Lane lane);
// 0xRRGGBB, chosen to stay apart for colour-blind readers (Okabe-Ito where it reaches).
uint32_t lane_colour(Lane lane);

inline constexpr unsigned index_of(Lane lane) {
  return static_cast<unsigned>(lane);
}

}  // namespace vmlab::gui
